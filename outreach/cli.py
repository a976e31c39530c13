"""Flask CLI commands (the admin's tools). Each feature keeps its commands in its own module."""
import importlib


def register(app):
    from outreach import accounts_cli

    accounts_cli.register(app)
    for module_name in ("outreach.imports.cli", "outreach.demo", "outreach.jobs.cli", "outreach.regions.tally",
                        "outreach.planning.calendar_cli", "outreach.ledger.cli"):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            # Only a feature module that does not exist yet may be skipped.
            if not module_name.startswith(exc.name or "?"):
                raise
            continue
        module.register(app)

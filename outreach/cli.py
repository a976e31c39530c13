"""Flask CLI commands (the admin's tools). Each feature keeps its commands in its own module, registered
here by name so `flask --app app --help` lists them all."""


def register(app):
    from outreach import accounts_cli, backup_cli, demo
    from outreach.imports import cli as imports_cli
    from outreach.jobs import cli as jobs_cli
    from outreach.maps import cli as maps_cli
    from outreach.ledger import cli as ledger_cli
    from outreach.planning import calendar_cli
    from outreach.regions import rollup, tally
    from outreach.sites import cli as sites_cli

    for module in (accounts_cli, imports_cli, demo, jobs_cli, tally, rollup, calendar_cli, ledger_cli,
                   backup_cli, sites_cli, maps_cli):
        module.register(app)

"""Field logging: the turnout log a team writes from a phone after a session.

- `outreach.field.rules`      pure validation of a log (counts, totals, times, capacity): no Flask, no database
- `outreach.field.queries`    reading logs and the user's schedule (scoped), the rules' settings and facts
- `outreach.field.operations` writing logs (idempotency, locking, corrections window, audit trail,
                              known-away and school figures moved exactly once)
- `outreach.field.serialize`  a log and a schedule entry as the API's JSON
- `outreach.field.errors`     the errors the operations raise, with their HTTP status
- `outreach.field.history`    a log's history shaped from its audit entries (pure: who, when, old → new, why)
- `outreach.field.log_view`   a session's log as its page and the API show it (figures, times, history)
- `outreach.api.field`        the JSON API used by the offline client
- `outreach.field.views`      the field pages (Jadwal saya, log form, service worker)
The enumerations of a log (groups, sexes, reasons) and their labels are outreach.vocab's.
"""

"""Coverage and progress, database side: every question the coverage pages, the API and the planner
ask, each scoped to the user. One module per kind of question:

    areas      resolve_area(user, region_kode=None) -> Area (RegionNotFound); the errors
               (CoverageError, RegionNotFound, BadInput), the settings read (forecast_weeks,
               coverage_deadline, pemilih_pemula_cutoff), the per-request memo and the one-pass bundle
               of an area's figures the other modules share
    figures    coverage(user, region_kode=None), area_table(user, level, parent=None, q=None, sort=None),
               latest_log_at(area), official_dates(area)
    trend      trend_points(user, region_kode=None, date_from=None, date_to=None)
    forecasts  forecast_for(user, region_kode=None, weeks=None, deadline=None),
               slowest_areas(user, region_kode=None, limit=10)
    sessions   upcoming_sessions(user, ...), overdue_logs(user, ...), count_overdue_logs(user, ...)
    teams      team_figures(user, date_from=None, date_to=None, region_kode=None) -> [TeamFigures]
    pemula     pemilih_pemula(user, region_kode=None, cutoff=None)
    export_rows  the sessions and turnout logs of an area, batch by batch, for the exports

Every figure is summed by SQL (GROUP BY, correlated per-desa sums) through outreach.regions.queries,
which applies the ledger's rules per desa; Python only shapes the few rows that come back. The
figures are live: a turnout log counts the moment it is saved. Bad input raises `areas.CoverageError`
(`.status` 400 or 404, `.message` in Bahasa Indonesia).
"""

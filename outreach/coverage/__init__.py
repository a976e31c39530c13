"""Coverage and progress: figures at every level, trend, forecast, teams, pemilih pemula.

`queries` (a package, one module per question) reads the database, scoped to a user; `forecast` is
the pure forecast engine, `charts` the pure SVG charts and `exports` the pure CSV/XLSX writers. The
pages: `views` (routes only) hands off to `pages`, `team_page` and `downloads`, which draw with
`page_charts` and format with `formatting`; `navigation` places an area (breadcrumbs, levels, names).
"""

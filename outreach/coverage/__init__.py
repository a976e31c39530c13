"""Coverage and progress: figures at every level, trend, forecast, teams, pemilih pemula.

`queries` reads the database (scoped to a user); `forecast` is pure computation.
"""

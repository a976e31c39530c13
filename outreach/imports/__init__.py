"""Imports of reference data (regions, boundaries, sites, targets): CLI, web preview/commit, bulk writes.

The parsing and validation modules (`common`, `regions`, `boundaries`, `sites`, `targets`) are pure
Python and import nothing from Flask; `apply` loads and writes the database; `cli` adds the commands.
"""

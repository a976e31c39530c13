"""Access-matrix fragments, one module per feature: EXPECTED = {endpoint: roles or PUBLIC}."""

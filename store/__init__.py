"""PostgreSQL: roles and privileges of the store (the rest moves here as it is touched)."""

"""Connectors: the organisation's own systems, reached where the person's data lives.

One small interface (`connectors/base.py`) and one module per kind of system: PostgreSQL,
HTTP, manual. `connectors/datamap_file.py` reads the data map; `connectors/demo/` is the
demo organisation `dsr-admin datastores demo` creates.
"""

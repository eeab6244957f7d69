"""Sesenergy, the demo organisation: an energy retailer whose customer database (PostgreSQL,
`organisation.py` builds it from `organisation.sql`) and support desk (an HTTP service,
`support_desk.py`) hold the personal data its data map (`datastores.yaml`) describes.

It exists so the connectors can be tried, tested and measured against systems shaped like
an organisation's own: `dsr-admin datastores demo` creates them, a data map naming them, and the
secret files the map points at.
"""

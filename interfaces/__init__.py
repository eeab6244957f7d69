"""The service's interfaces to people and programs: the HTTP API (`api/`), the privacy
center's pages (`privacy_center/`), served by one FastAPI app; the `dsr` command line still
lives in `starter.py` and `runtime/cli_*.py`."""

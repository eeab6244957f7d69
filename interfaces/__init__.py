"""The service's interfaces to people and programs: the HTTP API (`api/`) and the privacy
center's pages (`privacy_center/`), served by one FastAPI app, and the `dsr` command line
(`cli/`, entered through `starter.py`)."""

"""The `dsr` command line: Typer and Rich over the HTTP API (`client.py`), holding a URL
and a token only. `main.py` is the root app (entered through `starter.py`); each module
adds its commands: requests and acts, accounts, login, audit, and the registers."""

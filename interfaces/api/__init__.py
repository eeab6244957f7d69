"""The HTTP API: FastAPI, bearer tokens of accounts with roles, RFC 9457 problem details."""

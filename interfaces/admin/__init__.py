"""`dsr-admin`: administration beside the servers (interfaces/admin/main.py)."""

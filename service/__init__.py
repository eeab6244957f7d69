"""What every interface calls: submitting a request and reading its status (requests.py),
and the operators' acts, signed and sent to the workflow (acts.py)."""

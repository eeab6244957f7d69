"""The `dsr` command line's commands beyond submitting and acting (`starter.py`): records
for operators and auditors, review, inventory, accounts."""

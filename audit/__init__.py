"""Tamper evidence for auditors: signed checkpoints of the event log, their witness,
and the checks of `dsr audit verify`."""

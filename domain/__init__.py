"""The rules of the privacy policy, pure: no I/O, no clock reads, no Temporal imports."""

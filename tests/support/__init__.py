"""The test harness: what the suites share, by what it does (builders, privacy checks,
Temporal and database set-up, scenarios driving requests, fault injection). Fixtures are in
the conftest.py files; test modules import from here, never from each other."""

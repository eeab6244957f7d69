"""Orchestration only: deterministic workflow code that calls activities and waits."""

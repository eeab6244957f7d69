"""Prometheus samples as a test reads them from a `/metrics` endpoint."""

from __future__ import annotations

import re
import urllib.request

_SAMPLE = re.compile(
    r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$"
)


def scrape(address: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """The samples on `http://address/metrics`, by name and label set."""
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as response:
        text = response.read().decode()
    samples = {}
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match is None:
            continue
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', match["labels"] or ""))
        samples[(match["name"], labels)] = float(match["value"])
    return samples


def sample(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float | None:
    """The value of the one series named `name` whose labels include `labels`."""
    found = [
        value for (n, got), value in samples.items() if n == name and set(labels.items()) <= got
    ]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else None

"""Summarise a py-spy collapsed-stack profile (`python -m bench.run --profile FILE`): where the
worker's samples went, by the code that was running (self) and by area (inclusive)."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

# Areas, matched in order against each frame's file; the first frame that matches an
# area, walking from the top of the stack down, names where the sample was spent.
AREAS = [
    ("Temporal workflow sandbox", ("temporalio/worker/workflow_sandbox",)),
    ("Temporal worker (workflow tasks)", ("temporalio/worker/_workflow",)),
    ("Temporal worker (activities)", ("temporalio/worker/_activity",)),
    ("Temporal data conversion", ("temporalio/converter", "temporalio/contrib/pydantic")),
    ("pydantic", ("pydantic",)),
    ("asyncpg", ("asyncpg",)),
    ("structlog and logging", ("structlog", "logging/")),
    ("our domain code", ("/domain/",)),
    ("our activities", ("/activities/",)),
    ("our workflow code", ("/workflows/",)),
    ("asyncio event loop", ("asyncio/",)),
]


def summarise(path: Path, top: int = 15) -> str:
    by_self: Counter[str] = Counter()
    by_area: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = stack.split(";")
        by_self[frames[-1]] += count
        area = "other (idle, interpreter, C extensions)"
        for frame in reversed(frames):
            found = next((name for name, marks in AREAS if any(m in frame for m in marks)), None)
            if found:
                area = found
                break
        by_area[area] += count
    lines = [f"{total} samples", "", "| area (innermost match) | share |", "| --- | ---: |"]
    lines += [f"| {area} | {100 * n / total:.1f}% |" for area, n in by_area.most_common()]
    lines += ["", "| function (self) | share |", "| --- | ---: |"]
    lines += [
        f"| `{frame[:90]}` | {100 * n / total:.1f}% |" for frame, n in by_self.most_common(top)
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(summarise(Path(sys.argv[1])))

"""`make check-histories`: recorded workflow histories are frozen.

A request lives for weeks, so a deploy must replay every history recorded before it. Once
`tests/histories/FROZEN.md` was committed, no commit may modify, rename or delete a file
under `tests/histories/`, and neither may the working tree; new histories may be added.
This reads git's own record, so a history changed and re-recorded in the same branch is
caught even though it would replay. Exit status 0 when the rule holds, 1 with each
offending file named when it does not, 2 when the record cannot be read.
"""

from __future__ import annotations

import subprocess
import sys

FOLDER = "tests/histories"
MARKER = f"{FOLDER}/FROZEN.md"


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def violations() -> list[str]:
    added = _git("log", "--diff-filter=A", "--format=%H", "--", MARKER).split()
    if not added:
        raise LookupError(f"{MARKER} is not in this repository's history (a shallow clone?)")
    base = added[-1]
    found: list[str] = []
    commit = ""
    for line in _git(
        "log", "--no-renames", "--format=commit %h", "--name-status", f"{base}..HEAD", "--", FOLDER
    ).splitlines():
        if line.startswith("commit "):
            commit = line.split()[1]
        elif line[:1] in ("M", "D"):
            found.append(
                f"{line[2:].strip()} ({'modified' if line[0] == 'M' else 'deleted'} in {commit})"
            )
    for line in _git("status", "--porcelain", "--no-renames", "--", FOLDER).splitlines():
        if "M" in line[:2] or "D" in line[:2]:
            found.append(f"{line[3:].strip()} (changed in the working tree)")
    return found


def main() -> int:
    try:
        found = violations()
    except (LookupError, subprocess.CalledProcessError, FileNotFoundError) as error:
        sys.stderr.write(f"check-histories: cannot read the record: {error}\n")
        return 2
    if found:
        sys.stderr.write(
            "check-histories: recorded histories are frozen: a request in flight on them "
            "would break after a deploy. Keep them, version the workflow change "
            "(workflow.patched), and record new histories beside them:\n"
            + "".join(f"  {item}\n" for item in found)
        )
        return 1
    print(f"check-histories: every recorded history under {FOLDER} is as recorded")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""docs/architecture.md stays true to the tree: it names every package of the service, and
its table lists the layers in the order `make lint` enforces them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def _layers() -> list[list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [contract] = config["tool"]["importlinter"]["contracts"]
    return [[name.strip() for name in layer.split("|")] for layer in contract["layers"]]


def test_every_package_of_the_service_is_a_layer_and_on_the_page():
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    layered = {name for layer in _layers() for name in layer}
    assert packages == layered
    for name in packages:
        assert f"`{name}/`" in PAGE, f"docs/architecture.md does not name {name}/"


def test_the_pages_table_lists_the_layers_bottom_up_as_lint_imports_checks_them():
    rows = re.findall(r"^\| (`[a-z_]+/`(?:, `[a-z_]+/`)*) \|", PAGE, flags=re.MULTILINE)
    in_table = [sorted(re.findall(r"`([a-z_]+)/`", row)) for row in rows]
    assert in_table == [sorted(layer) for layer in reversed(_layers())]

"""The README's quickstart and the docs' examples run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def blocks(path: Path) -> list[str]:
    return PYTHON_BLOCK.findall(path.read_text(encoding="utf-8"))


def test_the_readme_quickstart_runs_and_is_short() -> None:
    (quickstart,) = blocks(ROOT / "README.md")
    assert len(quickstart.strip().splitlines()) <= 22
    exec(compile(quickstart, "README.md", "exec"), {})  # noqa: S102 - our own documentation


DOCS = ROOT / "docs"


@pytest.mark.parametrize(
    "page", sorted(DOCS.rglob("*.md")), ids=lambda p: p.relative_to(DOCS).as_posix()
)
def test_every_docs_example_runs(page: Path) -> None:
    # The blocks of a page run in order in one namespace, as a reader follows them.
    namespace: dict[str, object] = {}
    for block in blocks(page):
        exec(compile(block, str(page), "exec"), namespace)  # noqa: S102 - our own documentation


def test_the_demo_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "salon_demo.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "field.required" in result.stdout
    assert "second save refused, nothing overwritten" in result.stdout
    assert "book holds 3 clients" in result.stdout
    assert "1 may receive marketing by email" in result.stdout
    assert "95.00 EUR" in result.stdout  # Giulia's total spend
    assert "may not book: no_show" in result.stdout

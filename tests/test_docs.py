"""The README's quickstart and the docs' examples run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
FENCED_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def blocks(path: Path) -> list[str]:
    return PYTHON_BLOCK.findall(path.read_text(encoding="utf-8"))


def lines_of(block: str) -> int:
    return len(block.strip().splitlines())


def section(path: Path, heading: str) -> str:
    """The text of a page from ``heading`` to the next heading of its level."""
    text = path.read_text(encoding="utf-8")
    start = text.index(f"\n{heading}\n")
    level = heading.split(" ", 1)[0]
    end = text.find(f"\n{level} ", start + len(heading) + 2)
    return text[start : end if end != -1 else len(text)]


def test_the_readme_opens_with_a_book_a_store_and_a_business_handle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first code block a reader sees, whatever its language: the book in a few lines.
    language, first = FENCED_BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8"))[0]
    assert language == "python"
    assert lines_of(first) <= 15
    for part in ("ClientBook(", "Store(", "book.business("):
        assert part in first
    monkeypatch.chdir(tmp_path)  # it makes a SQLite file where it runs
    exec(compile(first, "README.md", "exec"), {})  # noqa: S102 - our own documentation


def test_every_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for block in blocks(ROOT / "README.md"):
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own documentation


def test_the_tutorials_host_integration_runs_on_its_own_and_is_short() -> None:
    # A host copies this one block: it must need nothing from the blocks before it.
    (integration,) = PYTHON_BLOCK.findall(section(DOCS / "tutorial.md", "## A host integration"))
    assert lines_of(integration) <= 25
    for call in (
        "book.business(",
        "desk.cards.submit_booking(",
        "desk.consent.grant(",
        "desk.consent.may_contact(",
    ):
        assert call in integration
    exec(compile(integration, "docs/tutorial.md", "exec"), {})  # noqa: S102 - our own documentation


@pytest.mark.parametrize(
    "page", sorted(DOCS.rglob("*.md")), ids=lambda p: p.relative_to(DOCS).as_posix()
)
def test_every_docs_example_runs(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The blocks of a page run in order in one namespace, as a reader follows them, in a
    # directory of their own (a block may make a file where it runs).
    monkeypatch.chdir(tmp_path)
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
    assert "book holds 4 clients" in result.stdout  # with Marta, imported; Luca erased
    assert "3 rows read: 2 imported, 0 already present, 1 rejected." in result.stdout
    assert "exported 1 clients" in result.stdout
    assert "Erasure plan: delete the card and its history" in result.stdout
    assert "1 may receive marketing by email" in result.stdout
    assert "95.00 EUR" in result.stdout  # Giulia's total spend
    assert "may not book: no_show" in result.stdout

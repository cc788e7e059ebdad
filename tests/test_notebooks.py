"""The notebooks in examples/ run from scratch, and the committed copies show their output."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from tools.notebooks import EXAMPLES, execute

NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))

# What each story must still show when it runs today (a few lines of its output).
EXPECTED = {
    "01_first_day.ipynb": [
        "phones     phone.not_mobile",
        "city       field.required     Questo campo è obbligatorio.",
        "refused: [('allergies', 'consent.sensitive_without_consent')]",
        "VersionConflictError",
    ],
    "02_consent_campaign.ipynb": [
        "sent 2, failed 0, pending 0",
        "Flavia  skipped  minor_without_guardian_consent",
        "Lucia   skipped  withdrawn",
        "refused: promotion.client_limit_reached",
    ],
    "03_statistics_chart.ipynb": [
        "completed visits      13",
        "clients counted: 4 of 5",
    ],
    "04_erasure.ipynb": [
        "- 6 Payment: kept under a legal hold (fiscal fields only)",
        "Fiscal records are kept without identity until 2036-09-10, then deleted.",
        "  payment       {'hold': 6}",
        "search 'giulia': [] | by phone: []",
        "chain intact: True",
    ],
}


def text_of(notebook: nbformat.NotebookNode) -> str:
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def images_in(notebook: nbformat.NotebookNode) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def test_every_notebook_has_its_expectations() -> None:
    assert sorted(EXPECTED) == [path.name for path in NOTEBOOKS]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_a_notebook_runs_from_scratch_and_tells_its_story(path: Path) -> None:
    """Every cell runs without error in a fresh kernel, from the code alone."""
    notebook = execute(path)  # raises CellExecutionError on the first failing cell
    text = text_of(notebook)
    for line in EXPECTED[path.name]:
        assert line in text
    if path.name == "03_statistics_chart.ipynb":
        assert images_in(notebook) == 1  # the chart


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_a_committed_notebook_shows_a_complete_run(path: Path) -> None:
    """Committed with outputs (make notebooks), so it reads on its own; no error among them."""
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    assert not any(output.output_type == "error" for cell in code for output in cell.outputs)

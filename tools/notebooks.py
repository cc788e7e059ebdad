"""Execute the notebooks in ``examples/``: fresh, from their code alone.

``python -m tools.notebooks`` runs every notebook and fails on the first error;
``--write`` also saves each one with its new outputs (``make notebooks``), which is how the
committed outputs are refreshed. The tests run :func:`execute` on every notebook.

Each run starts from the notebook's code with every output removed, in a fresh kernel of
the running interpreter, inside a temporary working directory, so a run never depends on
the outputs committed before it or on files left behind by another.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from traitlets.config import Config

__all__ = ["EXAMPLES", "execute", "main"]

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TIMEOUT = 120
"""Seconds one cell may run."""


def _cleared(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    return notebook


def execute(path: Path) -> nbformat.NotebookNode:
    """Run the notebook at ``path`` from scratch and return it with its outputs.

    :raises nbclient.exceptions.CellExecutionError: a cell raised.
    """
    notebook = _cleared(nbformat.read(path, as_version=4))  # type: ignore[no-untyped-call]
    with tempfile.TemporaryDirectory() as workdir:
        # IPC rather than TCP: the kernel talks to this process through files in the
        # working directory, and no port is opened.
        config = Config({"KernelManager": {"transport": "ipc", "ip": f"{workdir}/kernel"}})
        client = NotebookClient(
            notebook,
            config=config,
            kernel_name="python3",
            timeout=TIMEOUT,
            record_timing=False,  # no timestamps: a re-run changes only what it shows
            resources={"metadata": {"path": workdir}},
        )
        client.execute()
    return notebook


def main(argv: list[str] | None = None) -> int:
    """Run the notebooks named (all of ``examples/`` by default); ``--write`` saves them."""
    parser = argparse.ArgumentParser(description="Execute the notebooks in examples/.")
    parser.add_argument("--write", action="store_true", help="save the new outputs")
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    for path in args.notebooks or sorted(EXAMPLES.glob("*.ipynb")):
        notebook = execute(path)
        if args.write:
            nbformat.write(notebook, path)  # type: ignore[no-untyped-call]
        sys.stdout.write(f"ran {path.name}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Running the ``clientcard`` command in tests, against a fresh SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from clientcard.cli import main


class Cli:
    def __init__(self, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.db = db
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        status = main(["--db", str(self.db), *args])
        out, err = self.capsys.readouterr()
        return status, out, err

    def ok(self, *args: str) -> str:
        status, out, err = self(*args)
        assert status == 0, err
        return out

"""The reference host application in examples/webapp, on a fresh SQLite file per test."""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

pytest.importorskip(
    "flask", reason="the webapp extra is not installed (pip install -e '.[webapp]')"
)

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from clientcard.clock import FixedClock  # noqa: E402
from webapp import BookingSite, WebappConfig, booking_site, create_app  # noqa: E402

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def config(tmp_path: Path, clock: FixedClock) -> WebappConfig:
    return WebappConfig(db_path=tmp_path / "salon.db", clock=clock, secret_key=b"k" * 32)


@pytest.fixture
def app(config: WebappConfig) -> Iterator[Flask]:
    app = create_app(config)
    yield app
    booking_site(app).close()


@pytest.fixture
def site(app: Flask) -> BookingSite:
    return booking_site(app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(page: str) -> str:
    """The form token of a rendered booking form."""
    found = CSRF.search(page)
    assert found is not None, "the page has no form token"
    return found.group(1)

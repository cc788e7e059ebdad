"""Which language the command line speaks, from its environment (GNU gettext's rules)."""

from __future__ import annotations

import pytest

from clientcard.cli._i18n import _, cli_language


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, "en"),
        ({"CLIENTCARD_LANG": "it"}, "it"),
        ({"CLIENTCARD_LANG": "nl_NL.UTF-8", "LANG": "it_IT.UTF-8"}, "nl"),
        ({"CLIENTCARD_LANG": "it-IT"}, "it"),
        ({"CLIENTCARD_LANG": "fr", "LANG": "it_IT.UTF-8"}, "en"),
        ({"LANG": "it_IT.UTF-8"}, "it"),
        ({"LANG": "nl_BE.UTF-8@euro"}, "nl"),
        ({"LC_MESSAGES": "nl_NL.UTF-8", "LANG": "it_IT.UTF-8"}, "nl"),
        ({"LC_ALL": "it_IT.UTF-8", "LC_MESSAGES": "nl_NL.UTF-8"}, "it"),
        ({"LC_ALL": "C", "LANG": "it_IT.UTF-8"}, "en"),
        ({"LC_ALL": "C.UTF-8", "LANG": "nl_NL.UTF-8"}, "en"),
        ({"LC_MESSAGES": "POSIX", "LANG": "it_IT.UTF-8"}, "en"),
        ({"LC_ALL": "de_DE.UTF-8", "LANG": "it_IT.UTF-8"}, "en"),
        ({"LANGUAGE": "nl:it", "LANG": "it_IT.UTF-8"}, "nl"),
        ({"LANGUAGE": "fr:it", "LANG": "nl_NL.UTF-8"}, "it"),
        ({"LANGUAGE": "fr:de", "LANG": "it_IT.UTF-8"}, "en"),
        ({"LANGUAGE": "it", "LC_ALL": "C"}, "en"),
    ],
)
def test_the_environment_chooses_the_language(environment: dict[str, str], expected: str) -> None:
    assert cli_language(environment) == expected


def test_output_is_translated_each_time_it_is_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "created business {id} ({region}, {language})"
    monkeypatch.setenv("CLIENTCARD_LANG", "it")
    assert _(text) == "attività {id} creata ({region}, {language})"
    monkeypatch.setenv("CLIENTCARD_LANG", "en")
    assert _(text) == text

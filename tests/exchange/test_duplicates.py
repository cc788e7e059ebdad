from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from clientcard.book import ClientBook
from clientcard.cards.card import BirthDate, ClientCard
from clientcard.exchange import match
from clientcard.exchange.duplicates import MAX_BLOCK, DuplicateIndex, Profile
from tests.support import NOW


def card(card_id: str, **fields: object) -> ClientCard:
    return ClientCard(
        id=card_id,
        business_id="b",
        created_at=NOW,
        updated_at=NOW,
        **fields,  # type: ignore[arg-type]
    )


ANNA = card("a", first_name="Anna", last_name="Rossi", email="anna@example.it",
            phones=("+393331234567",))  # fmt: skip


class TestScores:
    @pytest.mark.parametrize(
        ("other", "score", "reasons"),
        [
            ({"first_name": "Anna", "last_name": "Rossi", "email": "ANNA@example.it"}, 1.0,
             ("same_email", "same_name")),
            ({"first_name": "Rossi", "last_name": "Anna", "phones": ("+393331234567",)}, 0.97,
             ("shared_phone", "same_name")),
            ({"first_name": "Ana", "last_name": "Rossi", "email": "anna@example.it"}, 0.9,
             ("same_email", "similar_name")),
            ({"first_name": "Ana", "last_name": "Rossi", "phones": ("+393331234567",)}, 0.8,
             ("shared_phone", "similar_name")),
            ({"email": "anna@example.it"}, 0.8, ("same_email", "no_name")),
            ({"first_name": "Anna", "last_name": "Rossi"}, 0.6, ("same_name",)),
            ({"first_name": "Ana", "last_name": "Rossi"}, 0.5, ("similar_name",)),
            ({"phones": ("+393331234567",)}, 0.4, ("shared_phone", "no_name")),
            ({"first_name": "Luca", "last_name": "Rossi", "phones": ("+393331234567",)}, 0.3,
             ("shared_phone", "different_names")),
            ({"first_name": "Marco", "last_name": "Bianchi"}, 0.0, ("different_names",)),
        ],
        ids=["name+email", "name+phone", "typo+email", "typo+phone", "email-no-name",
             "name-only", "typo-only", "phone-no-name", "family-phone", "strangers"],
    )  # fmt: skip
    def test_each_kind_of_evidence_scores_as_documented(
        self, other: dict[str, object], score: float, reasons: tuple[str, ...]
    ) -> None:
        found = match(ANNA, card("b", **other))
        assert (found.score, found.reasons) == (score, reasons)

    def test_a_shared_family_phone_alone_is_never_a_likely_duplicate(self) -> None:
        child = card("c", first_name="Luca", last_name="Rossi", phones=ANNA.phones)
        assert match(ANNA, child).score < 0.5

    def test_a_child_and_its_guardian_are_never_duplicates(self) -> None:
        child = card("c", first_name="Anna", last_name="Rossi", email="anna@example.it",
                     guardian_id="a")  # fmt: skip
        assert match(ANNA, child).score == 0.0
        assert match(child, ANNA).reasons == ("guardian_link",)

    def test_different_birth_dates_cap_the_score(self) -> None:
        one = attrs.evolve(ANNA, birth_date=BirthDate(month=1, day=2, year=1980))
        two = attrs.evolve(ANNA, id="b", birth_date=BirthDate(month=5, day=6, year=2010))
        assert match(one, two).score == 0.3

    def test_the_same_birth_date_strengthens_a_name_match(self) -> None:
        born = BirthDate(month=1, day=2)
        one = card("a", first_name="Anna", last_name="Rossi", birth_date=born)
        two = card("b", first_name="Anna", last_name="Rossi", birth_date=born, notes="x")
        assert match(one, two).score == 0.85

    def test_identical_cards_are_one_client(self) -> None:
        one = card("a", first_name="Anna")
        assert match(one, attrs.evolve(one, id="b")).reasons == ("identical",)

    def test_a_card_is_no_duplicate_of_itself(self) -> None:
        assert match(ANNA, ANNA).score == 0.0


class TestFinding:
    def test_the_book_lists_its_likely_duplicates_most_likely_first(
        self, book: ClientBook, salon: str
    ) -> None:
        desk = book.business(salon)
        giulia = desk.cards.add({"first_name": "Giulia", "last_name": "Bianchi",
                                 "email": "giulia@example.it"})  # fmt: skip
        twin = desk.cards.add({"first_name": "Giulia", "last_name": "Bianchi",
                               "email": "Giulia@Example.it"})  # fmt: skip
        typo = desk.cards.add({"first_name": "Giula", "last_name": "Bianchi"})
        desk.cards.add({"first_name": "Luca", "last_name": "Bianchi", "phones": "333 1234567"})
        desk.cards.add({"first_name": "Maria", "last_name": "Bianchi", "phones": "333 1234567"})
        pairs = desk.exchange.find_duplicates()
        assert [(frozenset(p.card_ids), p.score) for p in pairs[:1]] == [
            (frozenset({giulia.id, twin.id}), 1.0)
        ]
        assert {(frozenset(p.card_ids), p.score) for p in pairs[1:]} == {
            (frozenset({giulia.id, typo.id}), 0.5),
            (frozenset({twin.id, typo.id}), 0.5),
        }
        assert pairs[0].to_dict()["reasons"] == ["same_email", "same_name"]
        assert desk.exchange.find_duplicates(min_score=0.9) == pairs[:1]

    def test_very_common_names_are_compared_on_contact_data_only(self) -> None:
        index = DuplicateIndex()
        for number in range(MAX_BLOCK + 1):
            index.add(
                Profile.of(
                    card(f"c{number}", first_name="Anna", last_name="Rossi", notes=f"{number}")
                )
            )
        index.add(Profile.of(card("x", first_name="Anna", last_name="Rossi", email="a@x.it")))
        lone = Profile.of(card("y", first_name="Anna", last_name="Rossi", email="a@x.it"))
        assert [p.card_id for p in index.candidates(lone)] == ["x"]
        assert list(index.pairs(0.5)) == []


class TestProfilesAcrossProcesses:
    def test_a_profile_pickles_and_comes_back_equal(self) -> None:
        profile = Profile.of(ANNA)
        assert pickle.loads(pickle.dumps(profile)) == profile  # noqa: S301 - bytes made here

    @pytest.mark.parametrize("seed", ["1", "2"])
    def test_the_digest_is_the_same_in_every_process(self, seed: str) -> None:
        # Workers build profiles to compare with those built here: a digest that hashed
        # with the process's own string hash would never match theirs.
        script = (
            "from tests.exchange.test_duplicates import ANNA;"
            "from clientcard.exchange.duplicates import Profile;"
            "print(Profile.of(ANNA).digest)"
        )
        told = subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=Path(__file__).resolve().parents[2],
            capture_output=True,
            text=True,
            check=True,
        )
        assert int(told.stdout) == Profile.of(ANNA).digest

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from clientcard.cards.card import ClientCard
from clientcard.cards.schema import FieldDefinition, FieldSchema, FieldType
from clientcard.erasure import Consequence, ErasureMode, ErasurePlan, ErasurePolicy, RecordAction
from clientcard.erasure.plan import (
    HOLD_MARK,
    blob_refs,
    card_blob_refs,
    decide,
    erased_record,
    plan,
)
from clientcard.storage.records import Record
from tests.support import NOW, TODAY

ANONYMISE = ErasurePolicy(mode=ErasureMode.ANONYMISE)
REF = "0123456789abcdef" * 2


def record(kind: str, *, years_ago: int = 0, **doc: object) -> Record:
    return Record(
        business_id="b",
        kind=kind,
        id=f"{kind}-1",
        at=NOW.replace(year=NOW.year - years_ago),
        doc=doc,
        card_id="c",
    )


def card(**fields: object) -> ClientCard:
    return ClientCard(
        id="c",
        business_id="b",
        created_at=NOW,
        updated_at=NOW,
        first_name="Anna",
        **fields,  # type: ignore[arg-type]
    )


class TestOneRecord:
    def test_an_anonymised_record_loses_identity_and_its_card(self) -> None:
        visit = record("appointment", service="cut", notes="nickel", technical_notes="6.1")
        kept = erased_record(visit, RecordAction.ANONYMISE)
        assert kept is not None
        assert (kept.doc, kept.card_id, kept.revision) == ({"service": "cut"}, None, 2)

    def test_a_deleted_record_leaves_nothing(self) -> None:
        assert erased_record(record("conversation", text="hi"), RecordAction.DELETE) is None

    def test_a_held_record_keeps_fiscal_fields_and_the_end_of_its_hold(self) -> None:
        amount = {"amount": "35.00", "currency": "EUR"}
        payment = record("payment", amount=amount, invoice_number="F-1", notes="her sister")
        kept = erased_record(payment, RecordAction.HOLD, held_until=dt.date(2036, 11, 23))
        assert kept is not None
        assert kept.doc == {"amount": amount, "invoice_number": "F-1", HOLD_MARK: "2036-11-23"}
        assert kept.card_id is None

    def test_a_kept_block_holds_fingerprints_only(self) -> None:
        block = record("blacklist", reason="no_show", note="rude", fingerprints=["email:aa"])
        kept = erased_record(block, RecordAction.SUPPRESS, fingerprints={"phone:bb"})
        assert kept is not None
        assert kept.doc == {"reason": "no_show", "fingerprints": ["email:aa", "phone:bb"]}

    def test_a_kept_record_is_only_detached(self) -> None:
        receipt = record("erasure.receipt", counts="3")
        kept = erased_record(receipt, RecordAction.KEEP)
        assert kept is not None
        assert (kept.doc, kept.card_id) == ({"counts": "3"}, None)

    def test_a_fiscal_record_is_held_from_its_own_date(self) -> None:
        action, until = decide(record("payment", years_ago=3), ANONYMISE, None, "NL", TODAY)
        assert action is RecordAction.HOLD
        assert until == dt.date(2030, 11, 23)

    def test_a_fiscal_record_past_its_hold_is_deleted(self) -> None:
        action, until = decide(record("payment", years_ago=8), ANONYMISE, None, "NL", TODAY)
        assert (action, until) == (RecordAction.DELETE, None)

    def test_without_a_hold_fiscal_records_are_deleted(self) -> None:
        policy = ErasurePolicy(legal_hold_years=0)
        assert decide(record("payment"), policy, None, "IT", TODAY)[0] is RecordAction.DELETE


class TestBlobs:
    def test_a_deleted_photo_lets_its_blob_go(self) -> None:
        photo = record("photo", ref=REF, caption="after")
        assert blob_refs(photo, RecordAction.DELETE) == [REF]

    def test_kept_records_keep_their_blobs(self) -> None:
        assert blob_refs(record("photo", ref=REF), RecordAction.KEEP) == []

    def test_a_cards_picture_and_reference_fields_are_blobs(self) -> None:
        scan = FieldDefinition(key="consent_scan", type=FieldType.REFERENCE, labels={"en": "Scan"})
        other = "f" * 32
        refs = card_blob_refs(
            card(picture=REF, custom={"consent_scan": other}),
            (*FieldSchema.default().fields, scan),
        )
        assert refs == [REF, other]

    def test_references_a_blob_store_never_made_are_not_blobs(self) -> None:
        assert card_blob_refs(card(picture="../../etc/passwd"), FieldSchema.default().fields) == []


def make_plan(
    records: list[Record], policy: ErasurePolicy = ANONYMISE, **extra: int
) -> ErasurePlan:
    counts = {"consent_events": 0, "sends": 0, "fingerprints": 0, "exports": 0, "wards": 0}
    counts.update(extra)
    return plan(
        card(),
        records,
        policy=policy,
        mode=None,
        country="IT",
        schema=FieldSchema.default(),
        now=NOW,
        consent_events=counts["consent_events"],
        sends=counts["sends"],
        fingerprints=counts["fingerprints"],
        exports=counts["exports"],
        wards=counts["wards"],
    )


class TestPlans:
    def test_a_plan_counts_each_kind_by_action(self) -> None:
        made = make_plan([record("appointment"), record("payment"), record("conversation")])
        assert [(item.kind, item.action, item.count) for item in made.records] == [
            ("appointment", RecordAction.ANONYMISE, 1),
            ("conversation", RecordAction.DELETE, 1),
            ("payment", RecordAction.HOLD, 1),
        ]
        assert made.held_until == dt.date(2036, 11, 23)

    def test_every_plan_warns_the_client_will_count_as_new(self) -> None:
        made = make_plan([])
        assert made.consequences[0] is Consequence.COUNTS_AS_NEW
        assert made.consequences[-1] is Consequence.HOST_NOTIFIED

    @pytest.mark.parametrize(
        ("policy", "expected"),
        [
            (ErasurePolicy(keep_blocks=False), Consequence.BLOCK_LOST),
            (ErasurePolicy(), Consequence.BLOCK_KEPT),
        ],
    )
    def test_a_plan_says_whether_a_block_survives(
        self, policy: ErasurePolicy, expected: Consequence
    ) -> None:
        assert expected in make_plan([record("blacklist")], policy).consequences

    def test_a_plan_names_copies_handed_out_and_children(self) -> None:
        made = make_plan([], exports=2, wards=1)
        assert {Consequence.EXPORTS_OUTSTANDING, Consequence.WARDS} <= set(made.consequences)

    @pytest.mark.parametrize(
        ("lang", "words"),
        [("en", "legal hold"), ("it", "obbligo di legge"), ("nl", "bewaarplicht")],
    )
    def test_a_plan_reads_in_the_staffs_language(self, lang: str, words: str) -> None:
        lines = make_plan([record("payment")], exports=1).lines(lang)
        assert any(words in line for line in lines)
        assert any("2036-11-23" in line for line in lines)

    def test_plans_are_equal_when_they_would_do_the_same_whenever_made(self) -> None:
        first = make_plan([record("appointment")])
        assert attrs.evolve(first, planned_at=NOW + dt.timedelta(hours=1)) == first

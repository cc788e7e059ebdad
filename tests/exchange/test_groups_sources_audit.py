"""Groups a card may name, clients listed by source, and the audit of imports, exports, merges."""

from __future__ import annotations

import io

import pytest

from clientcard.book import ClientBook
from clientcard.erasure.audit import AuditAction
from clientcard.errors import StorageError, ValidationError
from clientcard.storage.protocol import CardQuery
from tests.exchange.support import imported


def _audited(book: ClientBook, salon: str, action: AuditAction) -> list[dict[str, str]]:
    return [
        dict(entry.detail) for entry in book.business(salon).audit.trail() if entry.action is action
    ]


class TestACardNamesOnlyADefinedGroup:
    def test_adding_a_card_in_an_undefined_group_is_refused_naming_the_field(
        self, book: ClientBook, salon: str
    ) -> None:
        desk = book.business(salon)
        with pytest.raises(ValidationError) as caught:
            desk.cards.add({"first_name": "Eva", "client_group": "gold"})
        assert caught.value.fields == {"client_group"}
        assert caught.value.codes == {"group.unknown"}
        assert desk.cards.count() == 0

    def test_a_defined_group_is_stored_by_its_key(self, book: ClientBook, salon: str) -> None:
        desk = book.business(salon)
        desk.groups.add(key="gold", label="Gold")
        card = desk.cards.add({"first_name": "Eva", "client_group": " GOLD "})
        assert card.client_group == "gold"

    def test_an_edit_to_an_undefined_group_is_refused(self, book: ClientBook, salon: str) -> None:
        desk = book.business(salon)
        card = desk.cards.add({"first_name": "Eva"})
        with pytest.raises(ValidationError) as caught:
            desk.cards.edit(card.id, {"client_group": "gold"}, expected_version=1)
        assert caught.value.fields == {"client_group"}
        assert desk.cards.get(card.id).client_group is None

    def test_a_booking_form_naming_an_undefined_group_is_refused(
        self, book: ClientBook, salon: str
    ) -> None:
        desk = book.business(salon)
        desk.cards.change_schema(lambda s: s.configure("client_group", collect_during_booking=True))
        with pytest.raises(ValidationError) as caught:
            desk.cards.submit_booking({"first_name": "Eva", "client_group": "gold"})
        assert caught.value.fields == {"client_group"}

    def test_an_import_row_naming_an_undefined_group_keeps_the_client_without_it(
        self, book: ClientBook, salon: str
    ) -> None:
        book.business(salon).groups.add(key="vip", label="VIP")
        report = imported(
            book, salon, "nome,email,gruppo\nEva,eva@example.com,VIP\nAnna,anna@example.com,gold\n"
        )
        assert report.imported == 2
        assert report.rejected == ()
        ((row, field, code),) = [(i.row, i.field, i.code) for i in report.warnings]
        assert (row, field, code) == (3, "client_group", "group.unknown")
        groups = {card.first_name: card.client_group for card in book.business(salon).cards.list()}
        assert groups == {"Eva": "vip", "Anna": None}

    def test_an_import_row_naming_an_undefined_group_is_rejected_when_groups_are_required(
        self, book: ClientBook, salon: str
    ) -> None:
        desk = book.business(salon)
        desk.groups.add(key="vip", label="VIP")
        desk.cards.change_schema(lambda s: s.configure("client_group", required=True))
        report = imported(book, salon, "nome,email,gruppo\nAnna,anna@example.com,gold\n")
        assert report.imported == 0
        ((row, field, code),) = [(i.row, i.field, i.code) for i in report.rejected]
        assert (row, field, code) == (2, "client_group", "group.unknown")


class TestClientsBySource:
    def test_clients_are_listed_and_counted_by_how_they_found_the_salon(
        self, book: ClientBook, salon: str
    ) -> None:
        desk = book.business(salon)
        for name, source in (("Anna", "Instagram"), ("Bea", "friend"), ("Carla", "Instagram")):
            desk.cards.add({"first_name": name, "referral_source": source})
        desk.cards.add({"first_name": "Dora"})
        found = desk.cards.list(source="Instagram")
        assert [card.first_name for card in found] == ["Anna", "Carla"]
        assert desk.cards.count(source="Instagram") == 2
        assert desk.cards.count(source="friend") == 1
        assert desk.cards.count(source="radio") == 0
        assert desk.cards.count(CardQuery(source="friend")) == 1

    def test_a_source_and_a_query_are_not_given_together(
        self, book: ClientBook, salon: str
    ) -> None:
        with pytest.raises(ValueError, match="source"):
            book.business(salon).cards.list(CardQuery(group="vip"), source="friend")

    def test_a_changed_source_moves_the_client(self, book: ClientBook, salon: str) -> None:
        desk = book.business(salon)
        card = desk.cards.add({"first_name": "Anna", "referral_source": "friend"})
        desk.cards.edit(card.id, {"referral_source": "Google"}, expected_version=1)
        assert desk.cards.count(source="friend") == 0
        assert desk.cards.count(source="Google") == 1


class TestImportsExportsAndMergesAreAudited:
    def test_an_import_writes_one_entry_of_counts(self, book: ClientBook, salon: str) -> None:
        report = imported(book, salon, "nome,email\nEva,eva@example.com\n,bad\n", by="staff-3")
        (detail,) = _audited(book, salon, AuditAction.IMPORTED)
        assert detail == {
            "import": report.import_id,
            "format": "csv",
            "rows": "2",
            "imported": "1",
            "rejected": "1",
        }
        assert book.business(salon).audit.trail()[-1].actor == "staff-3"

    def test_a_dry_run_writes_no_entry(self, book: ClientBook, salon: str) -> None:
        imported(book, salon, "nome,email\nEva,eva@example.com\n", dry_run=True)
        assert _audited(book, salon, AuditAction.IMPORTED) == []

    def test_an_import_stopped_after_stored_batches_writes_an_entry_of_what_it_stored(
        self, book: ClientBook, salon: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        failing = _FailingFrom(book, batch=2, monkeypatch=monkeypatch)
        rows = "".join(f"Cliente;Rossi {n}\n" for n in range(5))
        with pytest.raises(StorageError):
            imported(book, salon, "nome;cognome\n" + rows, batch_size=2, import_id="run-7")
        assert failing.calls == 2
        (detail,) = _audited(book, salon, AuditAction.IMPORTED)
        assert detail == {"import": "run-7", "format": "csv", "imported": "2", "outcome": "stopped"}
        assert book.business(salon).cards.count() == 2

    def test_an_import_stopped_before_storing_anything_writes_no_entry(
        self, book: ClientBook, salon: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _FailingFrom(book, batch=1, monkeypatch=monkeypatch)
        with pytest.raises(StorageError):
            imported(book, salon, "nome;cognome\nCliente;Rossi\n")
        assert _audited(book, salon, AuditAction.IMPORTED) == []

    def test_the_import_s_own_error_is_raised_when_its_entry_cannot_be_written(
        self, book: ClientBook, salon: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        _FailingFrom(book, batch=2, monkeypatch=monkeypatch)

        def audit_down(*args: object, **kwargs: object) -> None:
            raise StorageError("unavailable", "the database went away")

        monkeypatch.setattr(type(book.business(salon).audit), "record", audit_down)
        rows = "".join(f"Cliente;Rossi {n}\n" for n in range(3))
        with pytest.raises(StorageError) as raised:
            imported(book, salon, "nome;cognome\n" + rows, batch_size=2)
        assert raised.value.reason == "disk_full"

    def test_an_export_writes_one_entry_of_counts(self, book: ClientBook, salon: str) -> None:
        desk = book.business(salon)
        desk.cards.add({"first_name": "Eva", "email": "eva@example.com"})
        desk.exchange.export_cards(io.StringIO(), format="csv", by="staff-3")
        (detail,) = _audited(book, salon, AuditAction.EXPORTED)
        assert detail == {"format": "csv", "cards": "1", "sensitive": "no"}
        assert desk.audit.trail()[-1].actor == "staff-3"

    def test_a_merge_and_its_undoing_are_audited(self, book: ClientBook, salon: str) -> None:
        desk = book.business(salon)
        anna = desk.cards.add({"first_name": "Anna", "email": "anna@example.com"})
        twin = desk.cards.add({"first_name": "Anna", "phones": "333 1234567"})
        merged = desk.exchange.merge(anna.id, twin.id, expected_versions=(1, 1), by="staff-3")
        (entry,) = [e for e in desk.audit.trail() if e.action is AuditAction.MERGED]
        assert (entry.card_id, entry.actor) == (anna.id, "staff-3")
        assert dict(entry.detail) == {"merge": merged.merge_id, "absorbed": twin.id}
        desk.exchange.undo_merge(merged.merge_id, by="staff-4")
        (undone,) = [e for e in desk.audit.trail() if e.action is AuditAction.MERGE_UNDONE]
        assert (undone.card_id, undone.actor) == (anna.id, "staff-4")
        assert dict(undone.detail) == {"merge": merged.merge_id, "restored": twin.id}


class _FailingFrom:
    """Makes the book's store refuse every batch of cards from the ``batch``-th on."""

    def __init__(self, book: ClientBook, *, batch: int, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        store = book.store
        real = store.add_many

        def add_many(*args: object, **kwargs: object) -> None:
            self.calls += 1
            if self.calls >= batch:
                raise StorageError("disk_full", "the disk is full")
            real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(store, "add_many", add_many)

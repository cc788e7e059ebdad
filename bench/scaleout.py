"""Scale-out benchmark: a Citus cluster beside one PostgreSQL server, same cards, same calls.

Both databases get ``BENCH_SCALE_CARDS`` cards (1,000,000), spread over
``BENCH_SCALE_BUSINESSES`` businesses (100), a third of them with marketing e-mail
consent. The rows are built by bulk SQL on each server (``INSERT ... SELECT`` over
``generate_series``, with the documents and derived columns the store itself writes),
not card by card through the library: a million adds take hours on a shared laptop and
measure nothing this page is about.

Every figure then calls the public API (``desk.cards.find_by_phone``,
``desk.cards.search``, ``desk.cards.count``, ``desk.exchange.import_cards``) on one
business, alternately on the cluster (``clientcard (s)``) and the single server
(``floor (s)``); the ratio is the cluster's time over the single server's. The cluster
is ``CLIENTCARD_TEST_CITUS`` (``../shared/citus/cluster start`` prints it); without it
the job reports nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pairs import pairs, result  # bench/pairs.py, beside this file

from clientcard import ClientBook
from clientcard.business import Business
from clientcard.clock import FixedClock
from clientcard.exchange import open_source
from clientcard.storage.postgres import PostgresStore
from clientcard.storage.protocol import CardQuery

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)
PAIRS = int(os.environ.get("BENCH_SCALE_PAIRS", "15"))
IMPORT_ROWS = int(os.environ.get("BENCH_SCALE_IMPORT", "2000"))
AUDIENCE = CardQuery(contactable=("marketing", "email"))

# The document the store writes for a card, with its varying parts filled in by SQL;
# it matches clientcard.cards.serialization.card_to_dict, which the reads decode.
_DOC = (
    "jsonb_build_object('schema_version', 1, 'id', c.id, 'business_id', c.business_id,"
    " 'created_at', '2026-11-23T09:30:00+00:00', 'updated_at', '2026-11-23T09:30:00+00:00',"
    " 'version', 1, 'status', 'active', 'first_name', 'Anna', 'last_name', c.last,"
    " 'email', c.email, 'phones', jsonb_build_array(c.phone),"
    " 'address', jsonb_build_object('street', null, 'postcode', null, 'city', null,"
    " 'country', null), 'birth_date', null, 'gender', null, 'weight_kg', null,"
    " 'height_cm', null, 'tax_code', null,"
    " 'invoicing', jsonb_build_object('pec', null, 'sdi_code', null), 'notes', '',"
    " 'client_group', null, 'tags', '[]'::jsonb, 'referral_source', null, 'education', null,"
    " 'profession', null, 'picture', null, 'language', null, 'custom', '{}'::jsonb,"
    " 'guardian_id', null)"
)
# Card n of business b: last name "Rossi<n>", e-mail c<n>@example.com, phone +39333<b><n>.
_CARDS = (
    "INSERT INTO cards (business_id, id, version, sort_key, name_fold, name_fold_reversed,"
    " email_key, status, client_group, guardian_id, doc)"
    " SELECT c.business_id, c.id, 1, lower(c.last) || ' anna', 'anna ' || lower(c.last),"
    " lower(c.last) || ' anna', c.email, 'active', NULL, NULL, " + _DOC + " FROM ("
    " SELECT %(business)s AS business_id, 'card-' || lpad(n::text, 7, '0') AS id,"
    " 'Rossi' || n AS last, 'c' || n || '@example.com' AS email,"
    " '+39333' || lpad(%(number)s::text, 3, '0') || lpad(n::text, 4, '0') AS phone"
    " FROM generate_series(0, %(count)s - 1) AS n) AS c"
)
_PHONES = (
    "INSERT INTO card_phones (business_id, card_id, number)"
    " SELECT %(business)s, 'card-' || lpad(n::text, 7, '0'),"
    " '+39333' || lpad(%(number)s::text, 3, '0') || lpad(n::text, 4, '0')"
    " FROM generate_series(0, %(count)s - 1) AS n"
)
# The search index's rows, as clientcard.storage._search.tokens_of writes them for such a
# card: each name word, the e-mail, the phone with and without its country code.
_TOKENS = (
    "INSERT INTO card_search (business_id, token, card_id, sort_key)"
    " SELECT c.business_id, t.token, c.id, lower(c.last) || ' anna' FROM ("
    " SELECT %(business)s AS business_id, 'card-' || lpad(n::text, 7, '0') AS id,"
    " 'Rossi' || n AS last, 'c' || n || '@example.com' AS email,"
    " '333' || lpad(%(number)s::text, 3, '0') || lpad(n::text, 4, '0') AS national"
    " FROM generate_series(0, %(count)s - 1) AS n) AS c,"
    " LATERAL (VALUES ('n:anna'), ('n:' || lower(c.last)), ('e:' || c.email),"
    " ('p:' || c.national), ('p:39' || c.national)) AS t (token)"
)
_CONSENT = (
    "INSERT INTO card_permissions (business_id, card_id, purpose, channel)"
    " SELECT %(business)s, 'card-' || lpad(n::text, 7, '0'), 'marketing', 'email'"
    " FROM generate_series(0, %(count)s - 1, 3) AS n"
)


@contextmanager
def populated(
    dsn: str, *, distributed: bool, cards: int, businesses: int
) -> Iterator[tuple[PostgresStore, list[str], float]]:
    """A store in a fresh schema holding ``cards`` cards; its businesses; build seconds."""
    import psycopg
    from psycopg import sql

    schema = f"cc_bench_{uuid.uuid4().hex[:10]}"
    store = PostgresStore(dsn, schema=schema, distributed=distributed, max_size=4)
    try:
        started = time.perf_counter()
        ids = []
        for number in range(businesses):
            business = Business(
                id=f"salon-{number:03d}",
                name=f"Salone {number}",
                region="IT",
                language="it",
                created_at=NOW,
            )
            store.add_business(business)
            ids.append(business.id)
        each = cards // businesses
        with psycopg.connect(dsn, autocommit=True) as raw:
            raw.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            for number, business_id in enumerate(ids):
                values = {"business": business_id, "number": number, "count": each}
                for statement in (_CARDS, _PHONES, _TOKENS, _CONSENT):
                    raw.execute(statement, values)
            raw.execute("ANALYZE")
        yield store, ids, time.perf_counter() - started
    finally:
        store.close()
        with psycopg.connect(dsn, autocommit=True) as raw:
            raw.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def _csv(rows: int) -> bytes:
    lines = ["Nome;Cognome;Cellulare;E-mail"]
    token = uuid.uuid4().hex[:6]
    lines += [
        f"Nuova;Bianchi{token}{chr(65 + n % 26)}{chr(65 + n // 26 % 26)};"
        f"+39 340 {random.randrange(1_000_000, 9_999_999)};n{n}.{token}@example.it"
        for n in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def _import(book: ClientBook, business_id: str, rows: int) -> Callable[[], object]:
    def run() -> object:
        with open_source(io.BytesIO(_csv(rows)), format="csv") as source:
            return book.business(business_id).exchange.import_cards(source)

    return run


def suite(single_dsn: str) -> list[dict[str, Any]]:
    """The four figures, cluster beside one server; nothing without a cluster."""
    cluster_dsn = os.environ.get("CLIENTCARD_TEST_CITUS")
    if not cluster_dsn:  # pragma: no cover - reported, not measured
        print("scale-out benchmarks skipped: CLIENTCARD_TEST_CITUS is not set")
        return []
    cards = int(os.environ.get("BENCH_SCALE_CARDS", "1000000"))
    businesses = int(os.environ.get("BENCH_SCALE_BUSINESSES", "100"))
    each = cards // businesses
    clock = FixedClock(NOW)
    with (
        populated(cluster_dsn, distributed=True, cards=cards, businesses=businesses) as spread,
        populated(single_dsn, distributed=False, cards=cards, businesses=businesses) as single,
    ):
        cluster_book = ClientBook(spread[0], clock=clock)
        single_book = ClientBook(single[0], clock=clock)
        picks = random.Random(18)

        def on_both(call: Callable[[ClientBook, int], object]) -> tuple[float, float, float]:
            chosen: list[int] = []

            def cluster() -> object:
                chosen.append(picks.randrange(businesses))
                return call(cluster_book, chosen[-1])

            def one_server() -> object:
                # The same business and key as the cluster's call just before.
                return call(single_book, chosen[-1])

            return pairs(cluster, one_server, PAIRS)

        def phone(book: ClientBook, number: int) -> object:
            n = picks.randrange(each)
            found = book.business(f"salon-{number:03d}").cards.find_by_phone(
                f"+39333{number:03d}{n:04d}"
            )
            assert len(found) == 1
            return found

        def search(book: ClientBook, number: int) -> object:
            return book.business(f"salon-{number:03d}").cards.search(
                f"rossi{picks.randrange(each)}"
            )

        def audience(book: ClientBook, number: int) -> object:
            return book.business(f"salon-{number:03d}").cards.count(AUDIENCE)

        built = f"bulk SQL build: {spread[2]:.0f} s on the cluster, {single[2]:.0f} s on one server"
        where = f"over {cards:,} cards in {businesses} businesses"
        floor = f"one PostgreSQL server, same cards and calls ({built})"
        rows = [
            result(
                f"scale-out: phone lookup {where}", on_both(phone), floor, per=1, unit="lookups/s"
            ),
            result(
                f"scale-out: name search {where}", on_both(search), floor, per=1, unit="searches/s"
            ),
            result(
                f"scale-out: audience count {where}",
                on_both(audience),
                floor,
                per=1,
                unit="counts/s",
            ),
        ]
        importing = pairs(
            _import(cluster_book, "salon-000", IMPORT_ROWS),
            _import(single_book, "salon-001", IMPORT_ROWS),
            max(3, PAIRS // 5),
        )
        rows.append(
            result(
                f"scale-out: import of {IMPORT_ROWS:,} CSV rows into a business {where}",
                importing,
                floor,
                per=IMPORT_ROWS,
                unit="rows/s",
            )
        )
    return rows

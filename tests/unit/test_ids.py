from __future__ import annotations

import os
import signal
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clientcard import ids
from clientcard.book import ClientBook
from clientcard.storage import MemoryStore

MS_2026 = 1_795_000_000_000


@pytest.fixture(autouse=True)
def _fresh_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    # Ids keep growing from the last one made in the process; each test starts anew.
    monkeypatch.setattr(ids, "_CLOCK", ids._Clock())


class TestUuid7:
    def test_is_a_version_7_rfc_9562_uuid(self) -> None:
        made = ids.uuid7()
        assert made.version == 7
        assert made.variant == uuid.RFC_4122

    @given(st.integers(min_value=0, max_value=2**48 - 2))
    def test_starts_with_the_millisecond_it_was_made(self, millisecond: int) -> None:
        ids._CLOCK = ids._Clock()
        assert ids.uuid7(millisecond).int >> 80 == millisecond

    def test_ids_made_in_one_millisecond_keep_growing(self) -> None:
        made = [ids.uuid7(MS_2026 + 1) for _ in range(10_000)]
        assert made == sorted(made)
        assert len(set(made)) == len(made)

    def test_ids_keep_growing_when_the_clock_steps_back(self) -> None:
        later = ids.uuid7(MS_2026 + 60_000)
        earlier = ids.uuid7(MS_2026)
        assert earlier > later

    def test_a_full_millisecond_borrows_the_next_ones(self) -> None:
        made = [ids.uuid7(MS_2026) for _ in range(4_200)]
        stamps = sorted({value.int >> 80 for value in made})
        assert stamps[0] == MS_2026
        assert stamps == list(range(MS_2026, MS_2026 + len(stamps)))
        assert len(stamps) >= 2
        assert made == sorted(made)

    def test_the_random_part_differs_between_ids(self) -> None:
        tails = {ids.uuid7(MS_2026 + 180_000).int & (2**62 - 1) for _ in range(1_000)}
        assert len(tails) == 1_000


class TestNewId:
    def test_is_the_uuid_written_as_text(self) -> None:
        text = ids.new_id()
        assert str(uuid.UUID(text)) == text
        assert uuid.UUID(text).version == 7

    def test_later_ids_sort_after_earlier_ones_as_text(self) -> None:
        made = [ids.new_id() for _ in range(1_000)]
        assert made == sorted(made)

    def test_the_book_makes_time_ordered_ids_by_default(self) -> None:
        book = ClientBook(MemoryStore())
        made = [book.create_business(name="Salon", region="IT").id for _ in range(3)]
        assert [uuid.UUID(value).version for value in made] == [7, 7, 7]
        assert made == sorted(made)

    @pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
    def test_a_child_forked_while_the_lock_is_held_still_makes_ids(self) -> None:
        clock = ids._CLOCK
        with clock.lock:
            child = os.fork()
            if child == 0:  # pragma: no cover - runs in the child
                # Without the fork hook the child would wait for ever: the alarm ends it.
                signal.alarm(5)
                ids.new_id()
                os._exit(0)
        _pid, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0

    @pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
    def test_a_forked_child_draws_other_random_bits_than_its_parent(self) -> None:
        ids.uuid7(MS_2026)  # the parent now holds unused random bytes
        reading, writing = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child
            os.write(writing, ids.uuid7(MS_2026 + 1).bytes)
            os._exit(0)
        os.close(writing)
        from_child = uuid.UUID(bytes=os.read(reading, 16))
        os.close(reading)
        os.waitpid(child, 0)
        from_parent = ids.uuid7(MS_2026 + 1)
        # The same millisecond in both; only the random bits can tell them apart.
        assert from_child.int & (2**62 - 1) != from_parent.int & (2**62 - 1)


class TestRandomSource:
    def test_one_read_of_the_system_source_serves_many_ids(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        reads: list[int] = []
        real = os.urandom

        def counted(size: int) -> bytes:
            reads.append(size)
            return real(size)

        monkeypatch.setattr(os, "urandom", counted)
        for _ in range(100):
            ids.uuid7(MS_2026)
        assert len(reads) == 1

    def test_a_process_that_is_not_the_one_that_read_the_bytes_reads_its_own(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # What a child forked without Python's fork hooks sees: the parent's bytes.
        ids.uuid7(MS_2026)
        left = ids._CLOCK.random
        monkeypatch.setattr(os, "getpid", lambda: ids._CLOCK.pid + 1)
        ids.uuid7(MS_2026)
        assert ids._CLOCK.random is not left

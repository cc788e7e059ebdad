"""Type-checked, never run: a host's own blob store, and promotions from a host's code."""

from __future__ import annotations

import datetime as dt

from clientcard import ClientGroup, Discount, Money, Promotion, RedemptionRefusedError
from clientcard.book import ClientBook
from clientcard.errors import NotFoundError
from clientcard.gallery.model import PhotoKind
from clientcard.storage import BlobStore, MemoryStore


class BucketBlobStore:
    """What a host writes to keep photos in its object storage."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, business_id: str, data: bytes) -> str:
        key = f"{len(self.objects):032x}"
        self.objects[f"{business_id}/{key}"] = data
        return key

    def get(self, business_id: str, ref: str) -> bytes:
        try:
            return self.objects[f"{business_id}/{ref}"]
        except KeyError:
            raise NotFoundError("blob", ref) from None

    def exists(self, business_id: str, ref: str) -> bool:
        return f"{business_id}/{ref}" in self.objects

    def delete(self, business_id: str, ref: str) -> None:
        self.objects.pop(f"{business_id}/{ref}", None)


def book_with_gallery() -> ClientBook:
    blobs: BlobStore = BucketBlobStore()
    return ClientBook(MemoryStore(), blobs=blobs)


def redeem_at_the_desk(book: ClientBook, business_id: str, card_id: str, code: str) -> str:
    try:
        redemption = book.business(business_id).promotions.redeem(card_id, code, service="colour")
    except RedemptionRefusedError as refused:
        return refused.text("it")
    price_after: Money = redemption.discount.apply(Money.of("60", "EUR"))
    return str(price_after)


def offers(book: ClientBook, business_id: str, card_id: str, at: dt.datetime) -> list[str]:
    active: list[Promotion] = book.business(business_id).promotions.active_for(card_id, at=at)
    group: ClientGroup | None = book.business(business_id).groups.group_of(card_id)
    extra = [group.label] if group is not None else []
    return [promotion.name for promotion in active] + extra


def define(book: ClientBook, business_id: str) -> None:
    book.business(business_id).promotions.add(
        code="WELCOME", name="Welcome", discount=Discount.percentage(10)
    )
    book.business(business_id).gallery.add("card", b"...", kind=PhotoKind.RESULT)

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys

import pytest

import clientcard

PUBLIC_MODULES = [
    name
    for _, name, _ in pkgutil.walk_packages(clientcard.__path__, "clientcard.")
    if not any(part.startswith("_") for part in name.split("."))
]


def test_all_is_sorted() -> None:
    names = [n for n in clientcard.__all__ if n != "__version__"]
    assert names == sorted(names)


def test_all_lists_exactly_the_public_names() -> None:
    public = {n for n in vars(clientcard) if not n.startswith("_")} - {"annotations"}
    modules = {n for n, v in vars(clientcard).items() if inspect.ismodule(v)}
    assert set(clientcard.__all__) - {"__version__"} == public - modules


def test_a_lazy_name_is_importable_from_the_package() -> None:
    from clientcard import PostgresStore
    from clientcard.storage import postgres

    assert PostgresStore is postgres.PostgresStore


def test_without_the_postgres_extra_the_package_still_imports_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A star import needs no extra; PostgresStore then names the extra to install."""
    monkeypatch.setitem(sys.modules, "clientcard.storage.postgres", None)
    namespace: dict[str, object] = {}
    exec("from clientcard import *", namespace)  # noqa: S102 - the import a host writes
    assert "ClientBook" in namespace
    with pytest.raises(ImportError, match=r"clientcard\[postgres\]"):
        clientcard.PostgresStore  # noqa: B018


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="Nope"):
        clientcard.Nope  # noqa: B018


def test_the_entry_points_a_host_needs_are_exported() -> None:
    """A host starts from the package alone: the book, a store, the errors, the enums."""
    entry_points = {
        "ClientBook",
        "BusinessBook",
        "MemoryStore",
        "SQLiteStore",
        "ClientCardError",
        "ValidationError",
        "NotFoundError",
        "VersionConflictError",
        "Purpose",
        "Channel",
        "ConsentAction",
        "ConsentSource",
        "CardStatus",
        "Context",
        "AppointmentStatus",
        "ErasureMode",
        "RequestKind",
        "PhotoKind",
        "BlockReason",
    }
    assert entry_points <= set(clientcard.__all__)


def test_every_public_module_declares_all_and_documents_it() -> None:
    for name in PUBLIC_MODULES:
        module = importlib.import_module(name)
        assert module.__doc__, name
        assert hasattr(module, "__all__"), name
        for attr in module.__all__:
            obj = getattr(module, attr)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                assert obj.__doc__, f"{name}.{attr}"


def test_the_package_is_typed() -> None:
    assert importlib.resources.files("clientcard").joinpath("py.typed").is_file()

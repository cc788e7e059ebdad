from __future__ import annotations

import importlib
import inspect
import pkgutil

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

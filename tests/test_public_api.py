"""The public facade: a sorted __all__, docstrings everywhere, data files shipped."""

from __future__ import annotations

import importlib.resources
import inspect

import scimpolicy


def test_all_is_sorted_and_complete() -> None:
    """__all__ is sorted (constants, classes, functions), every name exists, and dir()
    shows exactly __all__."""

    def order(name: str) -> tuple[bool, bool, str]:
        return (not name.isupper(), not name[0].isupper(), name)

    assert scimpolicy.__all__ == sorted(scimpolicy.__all__, key=order)
    for name in scimpolicy.__all__:
        assert hasattr(scimpolicy, name), name
    assert sorted(dir(scimpolicy)) == sorted(scimpolicy.__all__)


def test_every_public_name_is_documented() -> None:
    """Every public class and function, and their public methods, have docstrings."""
    for name in scimpolicy.__all__:
        obj = getattr(scimpolicy, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), name
        if inspect.isclass(obj):
            for member, value in vars(obj).items():
                if not member.startswith("_") and inspect.isfunction(value):
                    assert inspect.getdoc(value), f"{name}.{member}"


def test_grammar_and_marker_files_are_package_data() -> None:
    """The lark grammar and py.typed are inside the package (so wheels carry them)."""
    assert (
        importlib.resources.files("scimpolicy.grammars")
        .joinpath("scim_filter.lark")
        .is_file()
    )
    assert importlib.resources.files("scimpolicy").joinpath("py.typed").is_file()

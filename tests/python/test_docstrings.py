"""Every public class, function, method and property of the tierkit package says what it is.

help() and IDEs show these; a pybind11 signature alone (what a compiled method without a
docstring shows) does not count.
"""
import inspect
import re

import tierkit as tk

_SIGNATURE = re.compile(r"^(\d+\. )?\w+\(.*\)( -> .*)?$")


def _undocumented(obj) -> bool:
    doc = getattr(obj, "__doc__", None)
    lines = [line.strip() for line in (doc or "").strip().splitlines() if line.strip()]
    return all(_SIGNATURE.match(line) or line == "Overloaded function." for line in lines)


def _public_members():
    seen = set()
    for name in sorted(tk.__all__):
        obj = getattr(tk, name)
        if inspect.ismodule(obj) or id(obj) in seen:
            continue
        seen.add(id(obj))
        if inspect.isclass(obj) or callable(obj):
            yield name, obj
        if inspect.isclass(obj) and not issubclass(obj, BaseException):
            for member, value in vars(obj).items():
                if member.startswith("_"):
                    continue
                if isinstance(value, (staticmethod, classmethod)):
                    value = value.__func__
                if isinstance(value, property) or callable(value):
                    yield f"{name}.{member}", value


def test_public_api_has_docstrings():
    missing = [name for name, obj in _public_members() if _undocumented(obj)]
    assert not missing, f"{len(missing)} public names without a docstring: {missing}"


def test_checker_sees_a_missing_docstring():
    def bare():
        pass

    def documented():
        """Says what it is."""

    assert _undocumented(bare) and not _undocumented(documented)
    assert _undocumented(type("C", (), {"__doc__": "f(self: C) -> int"}))


def test_demo_module_exports_only_its_api():
    assert sorted(tk.demo.__all__) == sorted(
        n for n in vars(tk.demo) if not n.startswith("_") and n != "annotations")

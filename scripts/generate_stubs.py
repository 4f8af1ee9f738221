"""Regenerate python/tierkit/_core.pyi from the installed tierkit._core.

Run after changing the bindings: `pip install . && python scripts/generate_stubs.py`.
pybind11-stubgen reads every signature and docstring of the compiled module, so the stub
names everything the module has; tests/python/test_stubs.py checks it against the module
with mypy's stubtest.
"""
from __future__ import annotations

import pathlib
import re
import subprocess
import sys
import tempfile

STUB = pathlib.Path(__file__).resolve().parent.parent / "python" / "tierkit" / "_core.pyi"


def generate() -> str:
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, "-m", "pybind11_stubgen", "tierkit._core", "-o", out,
                        "--exit-code"], check=True)
        text = (pathlib.Path(out) / "tierkit" / "_core.pyi").read_text()
    names = re.findall(r"^from tierkit import (\w+)\n", text, flags=re.M)
    text = re.sub(r"^from tierkit import \w+\n", "", text, flags=re.M)
    text = text.replace("__all__:", _exception_classes(names) + "__all__:", 1)
    # A class defining __eq__ is unhashable (pybind11 sets __hash__ to None, as Python does);
    # typeshed marks that override the same way.
    return text.replace("__hash__: typing.ClassVar[None] = None",
                        "__hash__: typing.ClassVar[None] = None  # type: ignore[assignment]")


def _exception_classes(names: list[str]) -> str:
    """The exceptions are registered under the tierkit package's name, so stubgen imports
    them from there, a cycle for type checkers: declare them here, bases first."""
    from tierkit import _core

    classes = sorted((getattr(_core, n) for n in names), key=lambda c: len(c.__mro__))
    return "".join(f"class {c.__name__}({', '.join(b.__name__ for b in c.__bases__)}): ...\n"
                   for c in classes)


if __name__ == "__main__":
    STUB.write_text(generate())
    print(f"wrote {STUB}")

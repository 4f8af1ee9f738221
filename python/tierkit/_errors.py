"""tierkit's exceptions (defined by the compiled core so C++ errors map onto them).

- ``TierkitError``: base class of all of them (``tierkit::error`` in C++; docs/cpp.md
  has the correspondence of the two hierarchies).
- ``InvalidInput`` (also a ``ValueError``): row-level problems -- nulls, NaN or infinite
  values, rows after ``as_of``, duplicate keys, empty input. The message names the column,
  the problem and how many rows are affected.
- ``SchemaError`` (also a ``ValueError``): a missing column, an unsupported column type,
  columns of different lengths.
- ``FormatError`` (also a ``ValueError``): bytes or files that are not a valid tierkit
  object of a readable format version.
"""
import operator

import numpy as np

from ._core import FormatError, InvalidInput, SchemaError, TierkitError

__all__ = ["TierkitError", "InvalidInput", "SchemaError", "FormatError"]


def flag_arg(value, what: str) -> bool:
    """A yes/no setting: True or False (numpy's booleans too); anything else is refused
    rather than read by its truth value ("no" would be true)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise InvalidInput(f"{what} must be True or False; got {value!r}")


def threads_arg(threads, what: str) -> int:
    """The core's thread count for a ``threads=`` argument: None means all cores (0); any
    integer type (numpy's too) below 2^32; booleans are refused."""
    if threads is None:
        return 0
    try:
        n = None if isinstance(threads, bool) else operator.index(threads)
    except TypeError:
        n = None
    if n is None or not 0 <= n < 2**32:
        raise InvalidInput(f"{what}: threads must be a non-negative integer; got {threads!r}")
    return n

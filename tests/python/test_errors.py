"""tierkit's exceptions: the Python hierarchy, and each C++ error arriving as its Python class
(the correspondence tierkit/error.hpp and docs/cpp.md describe)."""
import numpy as np
import pytest

import tierkit as tk
from tierkit import _core


def test_hierarchy_mirrors_the_cpp_one():
    for cls in (tk.InvalidInput, tk.SchemaError, tk.FormatError):
        assert issubclass(cls, tk.TierkitError)
        assert issubclass(cls, ValueError)
    assert issubclass(tk.NotConverged, tk.InvalidInput)
    assert issubclass(tk.PolicyError, tk.InvalidInput)
    assert not issubclass(tk.TierkitError, ValueError)


def test_format_error_arrives_as_format_error():
    # tierkit::format_error is a std::runtime_error in C++, a ValueError here.
    with pytest.raises(tk.FormatError, match="not tierkit data") as e:
        _core.RFMModel.from_bytes(b"hello")
    assert isinstance(e.value, ValueError) and not isinstance(e.value, RuntimeError)


def test_schema_error_arrives_as_schema_error():
    t = _core.MetricTable()
    t.add("monetary", np.array([1.0, 2.0]))
    with pytest.raises(tk.SchemaError, match="no metric column 'recency'"):
        t.column("recency")


def test_invalid_input_arrives_as_invalid_input():
    with pytest.raises(tk.InvalidInput, match="one-dimensional contiguous int8 or int32"):
        _core.label_indices(np.zeros((2, 2), dtype=np.int8), 3)

"""CustomerAttributes: typed columns keyed by customer, joined to profiles."""
from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import tierkit as tk


def attrs_frame():
    return pd.DataFrame({
        "customer_id": [3, 1, 2, 9],
        "assets": [1.5e6, np.nan, 52_000.0, 10.0],
        "age": pd.array([61, 45, None, 30], dtype="Int64"),
        "card": ["gold", None, "platinum", "classic"],
        "opened": pd.to_datetime(["2010-05-01", "2020-01-31", None, "2023-03-03"]),
        "vip": [True, False, True, False],
    })


def test_columns_keep_their_kinds_and_nulls():
    a = tk.CustomerAttributes(attrs_frame())
    assert len(a) == 4
    assert a.kinds == {"assets": "number", "age": "integer", "card": "text", "opened": "day",
                       "vip": "boolean"}
    t = a.to_arrow()
    assert t.column("assets").to_pylist() == [1.5e6, None, 52_000.0, 10.0]  # NaN is missing
    assert t.column("age").to_pylist() == [61, 45, None, 30]
    assert t.column("card").to_pylist() == ["gold", None, "platinum", "classic"]
    assert t.column("opened").to_pylist()[0] == dt.date(2010, 5, 1)
    assert t.column("opened").to_pylist()[2] is None
    assert t.column("vip").to_pylist() == [True, False, True, False]
    assert "CustomerAttributes(4 customers; assets: number" in repr(a)
    assert list(a.to_pandas().index) == [3, 1, 2, 9]


def test_join_to_a_profile_and_coverage():
    tx = pd.DataFrame({"customer_id": [1, 2, 2, 5], "time": pd.to_datetime(["2024-01-01"] * 4),
                       "amount": [10.0, 5.0, 6.0, 1.0]})
    p = tk.profile(tx)
    a = tk.CustomerAttributes(attrs_frame(), columns=["assets", "card"])
    joined = a.join(p)
    assert joined.column_names[-2:] == ["assets", "card"]
    assert joined.column("card").to_pylist() == [None, "platinum", None]  # 1: null card; 5: absent
    assert joined.column("assets").to_pylist() == [None, 52_000.0, None]
    assert a.coverage(p) == {"profile_customers": 3, "with_attributes": 2,
                             "without_attributes": 1, "attributes_without_transactions": 2}


def test_attribute_errors():
    df = attrs_frame()
    with pytest.raises(tk.InvalidInput, match=r"2 rows repeating an earlier key \(first: row "
                       rf"{len(df) + 1} repeats row 1\)"):  # rows, not the key (3)
        tk.CustomerAttributes(pd.concat([df, df.iloc[:2]]))
    with pytest.raises(tk.InvalidInput, match="1 row with a null key"):
        tk.CustomerAttributes(pa.table({"customer_id": [1, None], "x": [1.0, 2.0]}))
    with pytest.raises(tk.SchemaError, match=r"no column 'asets' for the attribute \(did you mean 'assets'\?\)"):
        tk.CustomerAttributes(df, columns=["asets"])
    with pytest.raises(tk.SchemaError,
                       match=r"column 'x' has type list \(Arrow format '\+l'\), which tierkit does not read"):
        tk.CustomerAttributes(pa.table({"customer_id": [1], "x": [[1, 2]]}))
    text_keys = tk.CustomerAttributes(df.assign(customer_id=df.customer_id.astype(str)))
    p = tk.profile(pd.DataFrame({"customer_id": [1], "time": pd.to_datetime(["2024-01-01"]),
                                 "amount": [1.0]}))
    with pytest.raises(tk.SchemaError, match="string customer keys but the profile has integer"):
        text_keys.join(p)


def test_decimal_attributes_are_the_nearest_double_over_the_whole_range():
    d = decimal.Decimal
    big = [d("1e30"), d("-1e30"), d("9" * 38), d("-" + "9" * 38), d("170141183460469231731687303715884105"), None]
    t = pa.table({"customer_id": list(range(len(big))), "v": pa.array(big, pa.decimal128(38, 0)),
                  "cents": pa.array([d("12.34"), d("-0.05"), d("0.99"),
                                     d("1e-2"), d("123456789012345678901234567890.12"), None],
                                    pa.decimal128(38, 2)),
                  "tiny": pa.array([d("1e-38"), d("-3e-38"), d("0.12345678901234567890123456789012345678"),
                                    d("0"), d("9.9e-37"), None], pa.decimal128(38, 38))})
    got = tk.CustomerAttributes(t, customer="customer_id").to_pandas()
    for column in ("v", "cents", "tiny"):
        want = [float(x) if x is not None else None for x in t.column(column).to_pylist()]
        values = got[column].tolist()
        assert values[:-1] == want[:-1]
        assert pd.isna(values[-1])
    assert got.v.tolist()[:2] == [1e30, -1e30]


def test_attribute_keys_with_dictionary_indices_outside_the_dictionary_are_refused():
    # Found by fuzz/fuzz_arrow.cpp: such keys were read past the dictionary. Arrow promises
    # indices within it; an array built without its checks may break the promise.
    keys = pa.DictionaryArray.from_arrays(pa.array([0, 5, 1], pa.int8()), pa.array(["a", "b"]),
                                          safe=False)
    with pytest.raises(tk.InvalidInput, match="1 row whose dictionary index is outside its 2 values"):
        tk.CustomerAttributes(pa.table({"customer_id": keys, "age": [1, 2, 3]}))

"""Every accepted input kind and column type gives the same profile, keyed by the original
customer ids in their original type."""
from __future__ import annotations

import decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import tierkit as tk


@pytest.fixture(scope="module")
def base() -> pa.Table:
    rng = np.random.default_rng(4)
    n = 5000
    cust = rng.integers(1, 400, n)
    days = rng.integers(19000, 19500, n).astype(np.int32)
    cents = rng.integers(-2000, 50000, n)
    return pa.table({
        "customer_id": pa.array(cust, pa.int64()),
        "time": pa.array(days, pa.int32()).cast(pa.date32()),
        "amount": pa.array(cents / 100.0),
        "order_id": pa.array(rng.integers(0, 2000, n)),
        "cents": pa.array(cents),
    })


def profile_of(data, **kw):
    return tk.profile(data, order="order_id", **kw).to_arrow()


def same_values(a: pa.Table, b: pa.Table):
    """Equal profiles up to the key column's type."""
    assert a.column_names == b.column_names
    for name in a.column_names[1:]:
        assert a.column(name).equals(b.column(name)), name
    assert a.column(0).to_pylist() == [type(x)(y) if x is not None else None
                                       for x, y in zip(a.column(0).to_pylist(),
                                                       b.column(0).to_pylist())]


@pytest.mark.parametrize("key_type", [pa.int32(), pa.int64(), pa.int16(), pa.uint32()])
def test_integer_keys_keep_their_type(base, key_type):
    ref = profile_of(base)
    t = base.set_column(0, "customer_id", base.column(0).cast(key_type))
    got = profile_of(t)
    assert got.schema.field("customer_id").type == key_type
    same_values(ref, got)


@pytest.mark.parametrize("key_type", [pa.string(), pa.large_string(), pa.string_view()])
def test_string_keys_keep_their_type(base, key_type):
    keys = pc.binary_join_element_wise("id-", base.column(0).cast(pa.string()), "")
    t = base.set_column(0, "customer_id", keys.cast(key_type))
    got = profile_of(t)
    assert got.schema.field("customer_id").type == key_type
    expected = profile_of(base.set_column(0, "customer_id", keys))
    for name in got.column_names[1:]:
        assert got.column(name).equals(expected.column(name))
    # ordered by the keys' bytes
    assert got.column(0).to_pylist() == sorted(got.column(0).to_pylist())


def test_dictionary_keys_give_the_plain_profile(base):
    keys = pc.binary_join_element_wise("id-", base.column(0).cast(pa.string()), "")
    plain = profile_of(base.set_column(0, "customer_id", keys))
    enc = profile_of(base.set_column(0, "customer_id", keys.dictionary_encode()))
    assert enc.equals(plain)
    ints = profile_of(base.set_column(0, "customer_id", base.column(0).dictionary_encode()))
    same_values(profile_of(base), ints)


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("tz", [None, "UTC", "Asia/Tokyo"])
def test_timestamps_of_every_unit(base, unit, tz):
    per_day = {"s": 86400, "ms": 86400_000, "us": 86400_000_000, "ns": 86400_000_000_000}[unit]
    days = base.column("time").cast(pa.int32()).cast(pa.int64())
    # noon UTC: the same calendar day in UTC and Tokyo (UTC+9)
    values = pc.add(pc.multiply(days, per_day), per_day // 2)
    t = base.set_column(1, "time", values.cast(pa.timestamp(unit, tz=tz)))
    same_values(profile_of(base), profile_of(t, time_zone="Asia/Tokyo" if tz else "UTC"))


def test_date64(base):
    t = base.set_column(1, "time", base.column("time").cast(pa.date64()))
    assert profile_of(t).equals(profile_of(base))


@pytest.mark.parametrize("amount_type", ["float32", "decimal", "int"])
def test_amount_types(base, amount_type):
    if amount_type == "float32":
        # float32 cannot hold every cent value exactly: compare approximately
        t = base.set_column(2, "amount", base.column("amount").cast(pa.float32()))
        got, ref = profile_of(t), profile_of(base)
        np.testing.assert_allclose(got.column("monetary").to_numpy(),
                                   ref.column("monetary").to_numpy(), rtol=1e-5)
        return
    if amount_type == "decimal":
        dec = pa.array([decimal.Decimal(int(c)).scaleb(-2) for c in base.column("cents").to_pylist()],
                       pa.decimal128(12, 2))
        t = base.set_column(2, "amount", dec)
        assert profile_of(t).equals(profile_of(base))  # exact: cents on a 10^-9 grid
        return
    t = base.set_column(2, "amount", base.column("cents"))
    got, ref = profile_of(t), profile_of(base)
    np.testing.assert_allclose(got.column("monetary").to_numpy(),
                               ref.column("monetary").to_numpy() * 100, rtol=1e-12)


def test_decimal_amounts_beyond_2_to_the_60_are_invalid_rows_not_wrapped():
    d = decimal.Decimal
    amounts = [d("1e30"), d("-1e30"), d("9" * 38), d(2 ** 60), d(2 ** 60 - 1), d(5)]
    t = pa.table({"customer_id": [1, 2, 3, 4, 5, 6], "time": pa.array([1] * 6, pa.date32()),
                  "amount": pa.array(amounts, pa.decimal128(38, 0))})
    with pytest.raises(tk.InvalidInput, match="column 'amount': 4 rows are magnitude 2\\^60 or more"):
        tk.profile(t)
    p = tk.profile(t, on_invalid="drop")
    assert p.report.rows_dropped == 4
    assert p.to_pandas().monetary.tolist() == [float(2 ** 60 - 1), 5.0]
    scaled = t.set_column(2, "amount", pa.array([d("1152921504606846975.999999999")] * 6, pa.decimal128(38, 9)))
    assert tk.profile(scaled).to_pandas().monetary.tolist() == [float(2 ** 60)] * 6


def test_nulls_come_through_validity_bitmaps(base):
    amounts = base.column("amount").to_pylist()
    amounts[7] = None
    t = base.set_column(2, "amount", pa.array(amounts))
    with pytest.raises(tk.InvalidInput, match="column 'amount': 1 row is null"):
        profile_of(t)
    assert tk.profile(t, order="order_id", on_invalid="drop").report.rows_dropped == 1


def test_sliced_and_chunked_tables(base):
    sliced = base.slice(1000, 3000)
    chunked = pa.Table.from_batches(sliced.to_batches(max_chunksize=333))
    assert profile_of(chunked).equals(profile_of(sliced))
    assert profile_of(sliced).equals(profile_of(pa.table(sliced.to_pydict(), schema=sliced.schema)))


def test_inputs_from_pandas_polars_duckdb_dicts_and_streams(base):
    import duckdb
    import polars as pl

    ref = profile_of(base)
    assert profile_of(base.to_pandas()).equals(ref)
    assert profile_of(pl.from_arrow(base)).equals(ref)
    assert profile_of(duckdb.sql("select * from base")).equals(ref)
    assert profile_of(base.to_batches()[0]).equals(profile_of(pa.Table.from_batches([base.to_batches()[0]])))
    assert profile_of({c: base.column(c).to_numpy() for c in base.column_names}).equals(ref)
    assert profile_of(pa.RecordBatchReader.from_batches(base.schema, base.to_batches(max_chunksize=500))).equals(ref)
    # a pandas frame indexed by customer id
    assert profile_of(base.to_pandas().set_index("customer_id")).equals(ref)
    # polars string keys arrive as string views
    pl_str = pl.from_arrow(base).with_columns(pl.col("customer_id").cast(pl.Utf8))
    got = profile_of(pl_str)
    assert got.num_rows == ref.num_rows


def test_results_as_pandas_polars_and_arrow_streams(base):
    import polars as pl

    p = tk.profile(base, order="order_id")
    df = p.to_pandas()
    assert df.index.name == "customer_id"
    assert isinstance(p.to_polars(), pl.DataFrame)
    assert pa.table(p).equals(p.to_arrow())  # __arrow_c_stream__
    assert pl.DataFrame(p).height == len(p)
    assert p.column("monetary").flags.writeable is False


def test_transactions_objects_and_their_errors(base):
    tx = tk.Transactions(base, order="order_id")
    assert "Transactions(5,000 rows; customer='customer_id'" in repr(tx)
    assert tk.profile(tx).to_arrow().equals(profile_of(base))
    with pytest.raises(tk.SchemaError, match="already names its columns"):
        tk.profile(tx, order="cents")
    stream = tk.Transactions(pa.RecordBatchReader.from_batches(base.schema, base.to_batches()))
    tk.profile(stream)
    with pytest.raises(tk.InvalidInput, match="already read"):
        tk.profile(stream)
    with pytest.raises(tk.SchemaError, match="cannot read a builtins.int"):
        tk.profile(42)


def test_unsupported_arrow_types_are_named(base):
    t = base.set_column(0, "customer_id", pa.array([[1]] * base.num_rows))
    with pytest.raises(tk.SchemaError, match=r"column 'customer_id' has type list \(Arrow format '\+l'\)"):
        profile_of(t)


def test_a_frame_indexed_by_consecutive_ids_keeps_its_key():
    df = pd.DataFrame({"monetary": [1.0, 2.0, 3.0]}, index=pd.RangeIndex(1, 4, name="customer_id"))
    scores = tk.ABC().fit_apply(df).to_pandas()
    assert scores.index.tolist() == [1, 2, 3]
    plain = pd.DataFrame({"customer_id": [5, 6], "monetary": [1.0, 2.0]})  # unnamed index dropped
    assert tk.ABC().fit_apply(plain).to_pandas().index.tolist() == [5, 6]


def test_one_array_takes_a_single_chunk_as_it_is_and_joins_several():
    from tierkit._arrow import one_array
    single = pa.chunked_array([pa.array(np.arange(1_000, dtype=np.int64))])
    got = one_array(single)
    assert got.buffers()[1].address == single.chunk(0).buffers()[1].address  # no copy
    assert one_array(pa.chunked_array([pa.array([1, 2]), pa.array([3])])).to_pylist() == [1, 2, 3]
    empty = one_array(pa.chunked_array([], pa.int64()))
    assert len(empty) == 0 and empty.type == pa.int64()
    # Dictionary chunks with different dictionaries: unified, the values kept.
    labels = one_array(pa.chunked_array([pa.array(["a", "b"]).dictionary_encode(),
                                         pa.array(["c", "a"]).dictionary_encode()]))
    assert labels.to_pylist() == ["a", "b", "c", "a"]
    assert labels.dictionary.to_pylist() == ["a", "b", "c"]
    plain = pa.array([1.5])
    assert one_array(plain) is plain


def test_errors_that_steer_mixed_columns_float_ids_and_transactions_for_a_profile():
    df = pd.DataFrame({"customer_id": [1, "x", 3], "time": pd.to_datetime(["2024-01-01"] * 3),
                       "amount": [1.0, 2.0, 3.0]})
    with pytest.raises(tk.SchemaError, match=r"column 'customer_id' mixes value types: int \(2 rows\), str \(1 rows\)"):
        tk.profile(df)
    floats = pd.DataFrame({"customer_id": [1, None, 3], "time": pd.to_datetime(["2024-01-01"] * 3),
                           "amount": [1.0, 2.0, 3.0]})
    with pytest.raises(tk.SchemaError, match="holds floats.*drop the rows without one and convert"):
        tk.profile(floats)
    t = tk.demo.transactions(50, 500)
    with pytest.raises(tk.InvalidInput, match="look like transactions.*profile them first"):
        tk.RFM().fit(t)

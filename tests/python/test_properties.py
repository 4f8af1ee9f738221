"""Property tests: row order, chunking, thread count and merge order never change the
profile (bit for bit)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

import tierkit as tk

rows = st.lists(
    st.tuples(
        st.integers(0, 30),                      # customer
        st.integers(18000, 18400),               # day
        st.one_of(st.integers(-5000, 90000).map(lambda c: c / 100),   # cents
                  st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)),
        st.integers(0, 40),                      # order
    ),
    min_size=1, max_size=300)


def table(data) -> pa.Table:
    c, d, a, o = zip(*data)
    return pa.table({"customer_id": pa.array(c, pa.int64()),
                     "time": pa.array(d, pa.int32()).cast(pa.date32()),
                     "amount": pa.array(a, pa.float64()),
                     "order_id": pa.array(o, pa.int64())})


def prof(t, **kw) -> pa.Table:
    return tk.profile(t, order="order_id", **kw).to_arrow()


@settings(max_examples=60, deadline=None)
@given(rows, st.randoms(use_true_random=False))
def test_row_order_does_not_matter(data, rnd):
    shuffled = list(data)
    rnd.shuffle(shuffled)
    assert prof(table(data)).equals(prof(table(shuffled)))


@settings(max_examples=60, deadline=None)
@given(rows, st.lists(st.integers(1, 50), min_size=1, max_size=6), st.randoms(use_true_random=False))
def test_chunking_and_merge_order_do_not_matter(data, sizes, rnd):
    t = table(data)
    whole = prof(t)
    # chunks of the given sizes, each in its own builder, merged in a random order
    builders, start, i = [], 0, 0
    while start < t.num_rows:
        n = sizes[i % len(sizes)]
        builders.append(tk.ProfileBuilder(order="order_id").update(t.slice(start, n)))
        start += n
        i += 1
    rnd.shuffle(builders)
    total = builders[0]
    for b in builders[1:]:
        total.merge(b)
    assert total.finish().to_arrow().equals(whole)
    # the same chunks as record batches of one table
    chunked = pa.Table.from_batches(t.to_batches(max_chunksize=sizes[0]))
    assert prof(chunked).equals(whole)


def test_thread_count_does_not_matter():
    t = tk.demo.transactions(3000, 400_000, seed=3)
    one = prof(t, threads=1)
    assert prof(t, threads=2).equals(one)
    assert prof(t, threads=7).equals(one)
    assert tk.profile(t, order="order_id", threads=2).spend_series().equals(
        tk.profile(t, order="order_id", threads=1).spend_series())


@settings(max_examples=40, deadline=None)
@given(rows)
def test_monetary_is_the_sum_of_amounts(data):
    t = table(data)
    p = tk.profile(t).to_pandas()
    total = np.sum([a for _, _, a, _ in data])
    assert abs(p["monetary"].sum() - total) <= 1e-6 * max(1.0, abs(total)) + 1e-6 * len(data)

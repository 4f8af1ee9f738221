"""The built-in demo data."""
from __future__ import annotations

import pyarrow as pa
import pytest

import tierkit as tk


def test_demo_table_has_every_input_column():
    t = tk.demo.transactions(1000, 20_000, seed=1)
    assert t.num_rows == 20_000
    assert t.schema.field("time").type == pa.timestamp("us", tz="UTC")
    assert pa.types.is_dictionary(t.schema.field("category").type)
    assert t.equals(tk.demo.transactions(1000, 20_000, seed=1))
    assert not t.equals(tk.demo.transactions(1000, 20_000, seed=2))
    p = tk.profile(t, **tk.demo.profile_roles())
    assert p.report.rows_used == 20_000
    assert p.to_arrow().column("categories").to_numpy().max() <= 8


@pytest.mark.parametrize("ids,type_", [("dense", pa.int64()), ("sparse", pa.int64()),
                                       ("text", pa.large_string())])
def test_demo_id_styles(ids, type_):
    t = tk.demo.transactions(100, 2000, ids=ids)
    assert t.schema.field("customer_id").type == type_
    p = tk.profile(t, order="order_id")
    assert p.to_arrow().schema.field("customer_id").type == type_


def test_demo_settings_are_checked():
    with pytest.raises(tk.InvalidInput, match="time_ordered must be True or False; got 'no'"):
        tk.demo.transactions(10, 100, time_ordered="no")
    with pytest.raises(tk.InvalidInput, match="ids must be 'dense', 'sparse' or 'text'"):
        tk.demo.transactions(10, 100, ids="uuid")
    with pytest.raises(tk.InvalidInput, match="customers must be between"):
        tk.demo.transactions(0, 100)


def test_demo_rows_in_day_order_or_shuffled_hold_the_same_lines():
    ordered = tk.demo.transactions(200, 5000, seed=3)
    shuffled = tk.demo.transactions(200, 5000, seed=3, time_ordered=False)
    days = ordered.column("time").cast(pa.int64()).to_numpy() // 86_400_000_000
    assert (days[1:] >= days[:-1]).all()
    assert ordered.sort_by("time").column("amount").equals(shuffled.sort_by("time").column("amount"))
    roles = tk.demo.profile_roles()
    assert tk.profile(ordered, **roles).to_arrow().equals(tk.profile(shuffled, **roles).to_arrow())


def test_a_missing_start_is_invalid_input():
    # start=None was a TypeError from the binding (transactions) or from arithmetic (bank).
    with pytest.raises(tk.InvalidInput, match="start: got None"):
        tk.demo.transactions(10, 20, start=None)
    with pytest.raises(tk.InvalidInput, match="start: got None"):
        tk.demo.bank(customers=10, start=None)

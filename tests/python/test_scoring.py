"""Strategies together: tk.score with built-in and user strategies; persistence."""
from __future__ import annotations

import copy
import errno
import os
import threading
import pickle
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import tierkit as tk

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"


def small_profile():
    return tk.profile(tk.demo.transactions(500, 8000, seed=4), order="order_id")


class DoubleMonetary:
    """A user strategy: fit returns a model, apply returns a table keyed by customer."""

    def fit(self, profile):
        self.mean = float(profile.to_pandas()["monetary"].mean())
        return self

    def apply(self, profile):
        df = profile.to_pandas()
        return pd.DataFrame({"customer_id": df.index[::-1],
                             "above_mean": (df["monetary"] > self.mean).to_numpy()[::-1]})


def test_score_joins_built_in_and_user_strategies_by_key():
    p = small_profile()
    s = tk.score(p, tk.RFM(), tk.ABC(), DoubleMonetary()).to_pandas()
    assert list(s.columns[:3]) == ["r_score", "f_score", "m_score"]
    assert "abc_class" in s and "above_mean" in s
    df = p.to_pandas()
    assert (s["above_mean"] == (df["monetary"] > df["monetary"].mean())).all()
    with pytest.raises(tk.SchemaError, match="returns a column 'r_score' that another"):
        tk.score(p, tk.RFM(), tk.RFM())
    with pytest.raises(tk.InvalidInput, match="has no fit"):
        tk.score(p, object())
    with pytest.raises(tk.InvalidInput, match="at least one strategy"):
        tk.score(p)


def test_results_convert_and_render():
    p = small_profile()
    scores = tk.RFM().fit_apply(p)
    assert scores.to_pandas().index.name == "customer_id"
    assert pa.table(scores).num_rows == len(p)
    assert scores.to_polars().height == len(p)
    assert "<table>" in scores._repr_html_()
    m = tk.RFM().fit(p)
    assert repr(m).startswith("RFMModel(recency=Bins(cuts=[")
    assert "<table>" in m._repr_html_() and "<table>" in tk.ABC().fit(p)._repr_html_()
    assert repr(tk.RFM(4, frequency=tk.Bins(cuts=[1, 3]))) == \
        "RFM(4, frequency=Bins(cuts=[1, 3]), segments='english')"


def test_models_pickle_deepcopy_save_and_load(tmp_path):
    p = small_profile()
    for model in (tk.RFM().fit(p), tk.ABC().fit(p), tk.RFM.preset("pymc_marketing").fit(p)):
        assert pickle.loads(pickle.dumps(model)) == model
        assert copy.deepcopy(model) == model
        path = tmp_path / f"{model.kind}.tkm"
        model.save(path)
        again = tk.load(path)
        assert again == model
        assert again.apply(p).to_arrow().equals(model.apply(p).to_arrow())
    seg = tk.Segments.preset("english")
    assert pickle.loads(pickle.dumps(seg)).rules == seg.rules
    assert tk.load(seg.to_bytes()).rules == seg.rules


def test_damaged_model_bytes_raise_format_error():
    data = tk.RFM().fit(small_profile()).to_bytes()
    with pytest.raises(tk.FormatError, match="checksum"):
        tk.load(data[:-20] + bytes(b ^ 1 for b in data[-20:]))
    with pytest.raises(tk.FormatError, match="truncated"):
        tk.load(data[:-1])
    with pytest.raises(tk.FormatError, match="not tierkit data"):
        tk.load(b"PK\x03\x04 a zip file")
    with pytest.raises(ValueError):  # FormatError is a ValueError
        tk.RFMModel.from_bytes(tk.ABC().fit(small_profile()).to_bytes())



def envelope(data: bytes, payload: bytes | None = None, kind: bytes | None = None) -> bytes:
    """`data` (an envelope written by to_bytes) with its payload or kind replaced, in a
    format 1 envelope (length and FNV-1a 64 checksum), which every later format still
    reads: a crafted file that passes the envelope's checks."""
    assert data[:8] == b"TIERKIT\x1a"
    kind_len = int.from_bytes(data[12:14], "little")
    kind = data[14:14 + kind_len] if kind is None else kind
    payload = data[14 + kind_len + 16:] if payload is None else payload
    h = 0xcbf29ce484222325
    for b in payload:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return (data[:8] + (1).to_bytes(4, "little") + len(kind).to_bytes(2, "little") + kind
            + len(payload).to_bytes(8, "little") + h.to_bytes(8, "little") + payload)


def payload_of(data: bytes) -> bytes:
    return data[14 + int.from_bytes(data[12:14], "little") + 16:]


@pytest.mark.parametrize("find, declare, message", [
    (b" 8 monetary ", b" 1500000000 monetary ", "declares a string of 1500000000 bytes, but only"),
    (b" 3 0 1 A 1 B 1 C ", b" 900000000 0 1 A 1 B 1 C ",
     "declares a collection of 900000000 items"),           # the class labels
    (b" monetary 0 2 ", b" monetary 0 4000000000 ",
     "declares a vector of doubles of 4000000000 items"),   # the class shares
])
def test_declared_lengths_beyond_the_payload_raise_format_error(find, declare, message):
    data = tk.ABC().fit(small_profile()).to_bytes()
    payload = payload_of(data)
    assert tk.load(envelope(data, payload)) == tk.load(data)  # the helper writes valid envelopes
    assert payload.count(find) == 1
    crafted = envelope(data, payload.replace(find, declare))
    assert len(crafted) < 4000
    with pytest.raises(tk.FormatError, match=message):
        tk.load(crafted)
    with pytest.raises(tk.FormatError, match=message):
        tk.ABCModel.from_bytes(crafted)


def test_a_damaged_model_kind_raises_format_error(tmp_path):
    data = tk.RFM().fit(small_profile()).to_bytes()
    for kind in (b"\xff\xfem", b"", b"RFM", b"r" * 65):
        with pytest.raises(tk.FormatError, match="the kind field"):
            tk.load(envelope(data, kind=kind))
    (tmp_path / "damaged.tkm").write_bytes(envelope(data, kind=b"rf\xe9"))
    with pytest.raises(tk.FormatError, match="the kind field"):
        tk.load(tmp_path / "damaged.tkm")
    with pytest.raises(tk.FormatError, match="the kind field"):
        tk.RFMModel.from_bytes(envelope(data, kind=b"rf\xe9"))


def test_a_model_save_that_fails_on_flushing_leaves_the_old_file(tmp_path, monkeypatch):
    # A full disk may show only when the data reach it (delayed allocation): at fsync.
    p = small_profile()
    path = tmp_path / "rfm.tkm"
    old = tk.RFM(3).fit(p)
    old.save(path)
    os.chmod(path, 0o640)

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        tk.RFM(5).fit(p).save(path)
    assert tk.load(path) == old and [f.name for f in tmp_path.iterdir()] == ["rfm.tkm"]
    monkeypatch.undo()
    new = tk.RFM(5).fit(p)
    new.save(path)
    assert tk.load(path) == new
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # the old file's permissions kept
    assert [f.name for f in tmp_path.iterdir()] == ["rfm.tkm"]


def golden_input():
    # A fixed, hand-written table: the golden files were fitted on exactly this.
    return pd.DataFrame({"customer_id": list(range(1, 13)),
                         "recency": [1, 5, 9, 30, 2, 60, 7, 7, 120, 15, 3, np.nan],
                         "frequency": [12, 1, 3, 2, 8, 1, 4, 4, 1, 2, 6, 0],
                         "monetary": [900.5, 20, 0, -5, 400, 12.25, 88, 88, 3, 50, 260, -1]})


def golden_bank():
    return pd.DataFrame({"customer_id": [1, 2, 3], "adb": [2e6, 60_000, 10], "age": [40, 70, 30],
                         "card_spend": 0.0, "loan_balance": 0.0, "margin_balance": 0.0,
                         "card_level": ["classic", "classic", "gold"]})


@pytest.mark.parametrize("version", [1, 2])
def test_golden_files_of_every_format_still_load(version):
    """Files written by each format version (tests/data/golden, made by make_golden.py)
    must load in every later version and give the same results."""
    assert (GOLDEN / f"rfm_v{version}.tkm").read_bytes()[8:12] == version.to_bytes(4, "little")
    # Worked by hand: 11 customers have all metrics (customer 12 has no recency); cuts are
    # the ceil(11 j / 5) = 3rd, 5th, 7th and 9th smallest values of each metric.
    #   recency   1 2 3 5 7 7 9 15 30 60 120      -> cuts 3, 7, 9, 30 (scores reversed)
    #   frequency 1 1 1 2 2 3 4 4 6 8 12          -> cuts 1, 2, 4, 6
    #   monetary  -5 0 3 12.25 20 50 88 88 260 400 900.5 -> cuts 3, 20, 88, 260
    df = golden_input()
    rfm = tk.load(GOLDEN / f"rfm_v{version}.tkm")
    assert rfm.bins["recency"]["cuts"] == [3.0, 7.0, 9.0, 30.0]
    assert rfm.bins["frequency"]["cuts"] == [1.0, 2.0, 4.0, 6.0]
    assert rfm.bins["monetary"]["cuts"] == [3.0, 20.0, 88.0, 260.0]
    assert rfm.apply(df).to_pandas()["rfm_code"].fillna(0).astype(int).tolist() == \
        [555, 412, 331, 221, 555, 112, 433, 433, 111, 223, 544, 0]
    # ABC: positive total 1821.75; descending 900.5 (0%), 400 (49.4%), 260 (71.4%) -> A;
    # 88, 88 (85.7%) -> B; 50 (95.3%), 20, 12.25, 3 -> C; 0, -5, -1 -> N.
    abc = tk.load(GOLDEN / f"abc_v{version}.tkm")
    assert abc.apply(df).to_pandas()["abc_class"].astype(object).fillna("-").tolist() == \
        ["A", "C", "N", "N", "A", "C", "B", "B", "C", "C", "A", "N"]
    seg = tk.load(GOLDEN / f"segments_v{version}.tkm")
    assert [r["name"] for r in seg.rules][:2] == ["Champions", "Loyal Customers"]
    # re-fitting today gives the same models
    assert tk.RFM().fit(df) == rfm
    assert tk.ABC().fit(df) == abc
    life = tk.load(GOLDEN / f"lifecycle_v{version}.tkm")
    assert "relative_to_gap=True" in repr(life) and "new_days=30" in repr(life)
    vp = tk.load(GOLDEN / f"value_potential_v{version}.tkm")
    assert vp == tk.ValuePotential("monetary", "frequency").fit(df)
    assert vp.cuts == {"value": [20.0], "potential": [2.0]}  # the 6th of 12 values
    bands = tk.load(GOLDEN / f"asset_bands_v{version}.tkm")
    assert bands.apply(golden_bank()).to_pandas()["asset_band"].astype(str).tolist() == \
        ["Private banking", "Not maintained", "Maintained by other criteria"]
    # Tiers of the golden input by hand: Gold needs monetary >= 100 and frequency >= 4;
    # Silver recency <= 30 or monetary in [20, 99.5]; Watch null or negative monetary.
    policy = tk.load(GOLDEN / f"tier_policy_v{version}.tkm")
    assert policy.assign(df).to_pandas()["tier"].astype(str).tolist() == \
        ["Gold", "Silver", "Silver", "Silver", "Gold", "Bronze", "Silver", "Silver", "Bronze",
         "Silver", "Gold", "Watch"]  # 12: recency null, so Silver is null; monetary < 0
    assert policy.rules[0] == {"tier": "Gold", "when": "monetary >= 100 and frequency >= 4",
                               "owner": "account manager"}


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 400)), st.integers(0, 30),
                          st.floats(-1e4, 1e6, allow_nan=False)), min_size=1, max_size=80),
       st.integers(2, 7), st.sampled_from(["value", "count"]))
def test_save_then_load_is_the_identity(rows, k, mode):
    df = pd.DataFrame({"customer_id": range(len(rows)),
                       "recency": [np.nan if r is None else r for r, _, _ in rows],
                       "frequency": [f for _, f, _ in rows], "monetary": [m for _, _, m in rows]})
    if df["recency"].notna().any():
        rfm = tk.RFM(k).fit(df)
        again = tk.RFMModel.from_bytes(rfm.to_bytes())
        assert again == rfm
        assert again.apply(df).to_arrow().equals(rfm.apply(df).to_arrow())
    abc = tk.ABC(mode=mode).fit(df)
    assert tk.load(abc.to_bytes()) == abc
    assert pickle.loads(pickle.dumps(abc)).apply(df).to_arrow().equals(abc.apply(df).to_arrow())


def test_score_hands_asset_bands_the_source_so_text_card_levels_are_ranked():
    bank = tk.demo.bank(300, 6000, seed=9)
    adb = tk.average_daily_balances(bank["events"]).by_customer(bank["owners"]).latest()
    table = adb.to_pandas().join(bank["customers"].to_pandas().set_index("customer_id"))
    got = tk.score(table, tk.AssetBands.preset(), tk.ABC("adb")).to_pandas()
    want = tk.AssetBands.preset().fit_apply(table).to_pandas()
    assert got.asset_band.tolist() == want.asset_band.tolist()
    assert got.abc_class.tolist() == tk.ABC("adb").fit_apply(table).to_pandas().abc_class.tolist()


def test_metric_tables_read_arrow_columns_in_place_and_copy_arrays_their_caller_can_change():
    import gc
    from tierkit import _core
    from tierkit.scoring import metrics_of
    t = pa.table({"customer_id": [1, 2, 3], "adb": [10.0, 20.0, 30.0], "age": pa.array([1, None, 3])})
    m = metrics_of(t)
    del t
    gc.collect()  # the borrowed Arrow buffer lives on with the table
    assert m.column("adb").tolist() == [10.0, 20.0, 30.0]
    assert np.isnan(m.column("age")[1]) and m.column("age")[2] == 3.0
    mine = np.array([1.0, 2.0, 3.0])
    core = _core.MetricTable()
    core.add("x", mine)
    mine[0] = 99.0  # copied by default: the table keeps what it was given
    assert core.column("x").tolist() == [1.0, 2.0, 3.0]
    lent = np.array([4.0, 5.0])
    core2 = _core.MetricTable()
    core2.add("y", lent, borrow=True)
    lent[1] = 6.0  # borrowed: read in place
    assert core2.column("y").tolist() == [4.0, 6.0]
    del lent
    gc.collect()  # and kept alive by the table
    assert core2.column("y").tolist() == [4.0, 6.0]
    with pytest.raises(tk.SchemaError, match="has 2 rows but the other columns have 3"):
        core.add("z", np.array([1.0, 2.0]), borrow=True)


def test_label_columns_become_dictionaries_with_negative_codes_as_nulls():
    from tierkit._results import arrow_columns
    nine = np.array([0, -1, 2, -2, 1, 0, 0, 2, -1], dtype=np.int32)  # not a multiple of 8
    out = arrow_columns({
        "a": {"kind": "label", "values": nine, "labels": ["x", "y", "x"]},  # a repeated label
        "b": {"kind": "label", "values": np.array([1, 0], dtype=np.int32), "labels": ["p", "q"]},
        "c": {"kind": "label", "values": nine, "labels": ["u", "v", "w"]}})
    assert out["a"].to_pylist() == ["x", None, "x", None, "y", "x", "x", "x", None]
    assert out["a"].dictionary.to_pylist() == ["x", "y"]
    assert out["b"].to_pylist() == ["q", "p"] and out["b"].null_count == 0
    assert out["c"].to_pylist() == ["u", None, "w", None, "v", "u", "u", "w", None]
    assert out["c"].null_count == 3
    assert out["a"].type.index_type == pa.int8() and out["c"].null_count == 3
    with pytest.raises(tk.InvalidInput, match="1 row holds a label code beyond the 1 labels"):
        arrow_columns({"d": {"kind": "label", "values": np.array([0, 5], dtype=np.int32), "labels": ["p"]}})


@pytest.mark.parametrize("labels", [3, 128, 129, 300])
@pytest.mark.parametrize("dtype", [np.int8, np.int32])
def test_label_arrays_against_a_row_by_row_reading_across_blocks_and_threads(labels, dtype):
    # 20,011 codes: several 4,096-row blocks, a tail that is not a whole byte of the
    # bitmap; missing codes of any negative value (the C++ test runs 1-3 threads).
    from tierkit._results import label_array
    rng = np.random.default_rng(labels)
    top = min(labels, 128 if dtype == np.int8 else labels)
    codes = rng.integers(-3, top, 20_011).astype(dtype)
    texts = [f"label {k}" for k in range(labels)]
    got = label_array(codes, texts)
    assert got.type.index_type == (pa.int8() if labels <= 128 else pa.int32())
    assert got.to_pylist() == [texts[c] if c >= 0 else None for c in codes.tolist()]
    assert got.null_count == int((codes < 0).sum())
    got.validate(full=True)
    present = codes[codes >= 0]
    whole = label_array(present, texts)
    assert whole.null_count == 0 and whole.buffers()[0] is None
    assert whole.to_pylist() == [texts[c] for c in present.tolist()]
    # 8-bit codes all present and in range are the indices themselves: no copy.
    shared = whole.indices.buffers()[1].address == present.ctypes.data
    assert shared == (dtype == np.int8 and labels <= 128)
    if labels <= 127:
        with pytest.raises(tk.InvalidInput, match="a label code beyond"):
            label_array(np.append(codes, dtype(labels)), texts)
        with pytest.raises(tk.InvalidInput, match="1 row holds a label code beyond"):
            label_array(np.append(present, dtype(labels)), texts)  # none missing: the counting pass


def test_label_arrays_from_other_integer_widths_are_checked_before_narrowing():
    from tierkit._results import label_array
    texts = ["a", "b", "c"]
    wide = np.array([0, 2, -1, -(2**40), 1], dtype=np.int64)
    got = label_array(wide, texts)
    assert got.to_pylist() == ["a", "c", None, None, "b"]
    assert label_array(np.array([2, 0], dtype=np.uint32), texts).to_pylist() == ["c", "a"]
    # Wrapping would turn 2**32 into 0 and 2**31 into a negative (null) code: refused instead.
    for bad in (np.array([0, 2**32], dtype=np.int64), np.array([2**31], dtype=np.int64),
                np.array([2**32 - 1], dtype=np.uint32)):
        with pytest.raises(tk.InvalidInput, match="1 row holds a label code beyond the 3 labels"):
            label_array(bad, texts)
    with pytest.raises(tk.InvalidInput, match="label codes must be integers, not float64"):
        label_array(np.array([1.9]), texts)
    with pytest.raises(tk.InvalidInput, match="contiguous int8 or int32"):
        tk._core.label_indices(np.array([1], dtype=np.int16), 3)


def test_a_metric_table_read_on_another_thread_refuses_changes():
    values = np.random.default_rng(3).lognormal(5, 2, 1_000_000)
    table = tk._core.MetricTable()
    table.add("monetary", values)
    strategy = tk.ABC()._strategy
    done = threading.Event()
    models = []

    def fit():
        try:
            for _ in range(5):
                models.append(strategy.fit(table))
        finally:
            done.set()

    refused = []
    thread = threading.Thread(target=fit)
    thread.start()
    while not done.is_set():
        for change in (lambda: table.add("monetary", np.zeros(1)),
                       lambda: table.note_absent("monetary", "why")):
            try:
                change()
            except tk.InvalidInput as e:
                refused.append(str(e))
            except (tk.SchemaError, ValueError):
                pass
    thread.join()
    assert refused, "no change was tried while the table was read"
    assert all("the table is being read by 1 call on another thread" in m for m in refused)
    assert any(m.startswith("tierkit.MetricTable.add:") for m in refused)
    assert len(models) == 5 and all(m == models[0] for m in models)
    assert table.names == ["monetary"]

"""tierkit.dask on a two-worker LocalCluster(processes=True): profiles, cut points, scores
and tiers identical to one process for several partitionings."""
from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pytest

if "asan" in os.environ.get("LD_PRELOAD", ""):
    # The suite's sanitizer run preloads the ASan runtime into every child process (the JVM,
    # Dask's worker processes); the engine adapters call the same bindings that the other
    # tests run under ASan, so they run in the plain suite only.
    pytest.skip("engine tests do not run with the ASan runtime preloaded", allow_module_level=True)

dd = pytest.importorskip("dask.dataframe", reason="tierkit[dask] not installed")
distributed = pytest.importorskip("distributed", reason="tierkit[dask] not installed")

import tierkit as tk  # noqa: E402
import tierkit.dask as tkd  # noqa: E402

ROLES = dict(customer="customer_id", time="time", amount="amount", order="order_id",
             quantity="quantity", channel="channel", category="category")
POLICY = Path(tk.__file__).parent / "policies" / "demo.yaml"


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, memory_limit="2GiB")
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def frame():
    """Demo transactions as pandas (the one-process reference reads the same frame)."""
    t = tk.demo.transactions(300, 5_000, seed=11)
    pdf = t.to_pandas()
    for c in ("channel", "category"):
        pdf[c] = pdf[c].astype(str)
    return pdf


def _ref(pdf):
    return pa.Table.from_pandas(pdf, preserve_index=False)


@pytest.mark.parametrize("parts,shuffle", [(1, False), (3, True), (7, False)])
def test_profile_and_cut_points_equal_one_process(client, frame, parts, shuffle):
    pdf = frame.sample(frac=1.0, random_state=parts) if shuffle else frame
    ddf = dd.from_pandas(pdf, npartitions=parts, sort=False)
    want = tk.profile(_ref(frame), **ROLES)
    got = tkd.profile(ddf, **ROLES)
    assert got.to_arrow().equals(want.to_arrow())
    assert got.report == want.report
    rfm_want, rfm_got = tk.RFM().fit(want), tkd.fit(tk.RFM(), ddf, **ROLES)
    assert rfm_got.to_bytes() == rfm_want.to_bytes()
    abc_want, abc_got = tk.ABC().fit(want), tkd.fit(tk.ABC(), got)
    assert abc_got.to_bytes() == abc_want.to_bytes()
    scored = tkd.apply(rfm_got, tkd.to_dask(got, 4), key="customer_id").compute()
    ref = rfm_want.apply(want).to_arrow().to_pandas()
    assert scored.reset_index(drop=True)[["customer_id", "r_score", "f_score", "m_score"]].equals(
        ref[["customer_id", "r_score", "f_score", "m_score"]])


def test_policy_run_gives_one_process_tiers(client, frame):
    job = tk.Tiering.from_file(POLICY)
    want = job.run(_ref(frame), as_of="2025-01-01").tiers.to_arrow().to_pandas()
    res = tkd.run(job, dd.from_pandas(frame, npartitions=5, sort=False), as_of="2025-01-01",
                  npartitions=3)
    got = res.tiers.compute().sort_values("customer_id").reset_index(drop=True)
    assert len(got) == len(want)
    for c in want.columns:
        assert got[c].astype(str).tolist() == want[c].astype(str).tolist(), c
    assert set(res.models) == set(job.run(_ref(frame), as_of="2025-01-01").models)


def test_bad_input_is_named(client, frame):
    with pytest.raises(tk.SchemaError, match="'spend'"):
        tkd.profile(dd.from_pandas(frame, npartitions=2), amount="spend")
    with pytest.raises(tk.InvalidInput, match="expected a dask.dataframe.DataFrame"):
        tkd.profile(frame)
    bad = frame.assign(amount=frame["amount"].astype(str))
    with pytest.raises(tk.SchemaError, match=r"amount column 'amount' .*expected numbers"):
        tkd.profile(dd.from_pandas(bad, npartitions=2), **ROLES)
    with pytest.raises(tk.InvalidInput, match="no rows"):
        tkd.profile(dd.from_pandas(frame.iloc[:0], npartitions=1), **ROLES)


def test_valid_dates_reach_every_partition(client, frame):
    early = frame.copy()
    early.loc[early.index[:3], "time"] = early["time"].iloc[0].replace(year=1850)
    ddf = dd.from_pandas(early, npartitions=3, sort=False)
    with pytest.raises(tk.InvalidInput, match=r"3 rows are dated before 1900-01-01"):
        tkd.profile(ddf, **ROLES)
    want = tk.profile(_ref(early), **ROLES, valid_dates=("1800-01-01", "2100-12-31"))
    got = tkd.profile(ddf, **ROLES, valid_dates=("1800-01-01", "2100-12-31"))
    assert got.to_arrow().equals(want.to_arrow()) and got.report.rows_dropped == 0


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=15, deadline=None)
@given(parts=st.integers(1, 12), seed=st.integers(0, 2**32 - 1), fan_in=st.integers(2, 5))
def test_any_partitioning_row_order_and_merge_tree_gives_the_one_process_profile(frame, parts, seed, fan_in):
    # In-process scheduler: the states still travel as bytes between the tasks.
    pdf = frame.sample(frac=1.0, random_state=seed % 2**31)
    ddf = dd.from_pandas(pdf, npartitions=parts, sort=False)
    state = tkd.merged_state(ddf, fan_in=fan_in, **ROLES).compute(scheduler="synchronous")
    got = tk.ProfileBuilder.from_bytes(state).finish()
    want = tk.profile(_ref(frame), **ROLES)
    assert got.to_arrow().equals(want.to_arrow())
    assert got.report == want.report

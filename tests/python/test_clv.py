"""Lifetime value (issue 21): the summary, BG/NBD, Pareto/NBD, Gamma-Gamma from Python, the
CLV strategy in tk.score, value x potential and lifecycle by CLV, policy files, plots.
Published figures are checked in the C++ tests (tests/cpp/strategies); here the same fits
through Python, and what Python adds."""
from __future__ import annotations

import pickle

import numpy as np
import pyarrow as pa
import pytest

import tierkit as tk
from conftest import shared_data
from test_cdnow import whitespace_table


@pytest.fixture(scope="module")
def sample():
    return whitespace_table(shared_data("cdnow") / "CDNOW_sample.txt",
                            ["master_id", "customer", "date", "cds", "amount"])


@pytest.fixture(scope="module")
def summary(sample):
    return tk.clv.summary(sample, customer="customer", calibration_end="1997-09-30", holdout_end="1998-06-30")


def test_summary_equals_btyd_cbs(summary):
    cbs = np.genfromtxt(shared_data("cdnow") / "btyd_cdnowSummary_cbs.csv", delimiter=",", names=True)
    t = summary.to_pandas()
    assert len(t) == 2357 and summary.T_star == 39
    np.testing.assert_array_equal(t.index.to_numpy(), cbs["cust"])
    np.testing.assert_array_equal(t["x"], cbs["x"])
    np.testing.assert_allclose(t["t_x"], cbs["t_x"], rtol=1e-13)
    np.testing.assert_allclose(t["T"], cbs["T_cal"], rtol=1e-13)
    np.testing.assert_array_equal(t["x_star"], cbs["x_star"])
    np.testing.assert_allclose(t["m_x"], cbs["m_x"], rtol=1e-12)


def test_models_fit_cdnow_and_round_trip(summary, tmp_path):
    bg = tk.BGNBD().fit(summary)
    assert round(bg.log_likelihood, 2) == -9582.43
    assert round(bg.params["r"], 4) == 0.2426
    s = bg.summary.to_pandas()
    assert list(s["parameter"]) == ["r", "alpha", "a", "b"] and (s["std_error"] > 0).all()
    pn = tk.ParetoNBD().fit(summary)
    assert round(pn.log_likelihood, 3) == -9594.976
    gg = tk.GammaGamma().fit(summary)
    assert [round(gg.params[k], 2) for k in ("p", "q", "gamma")] == [6.25, 3.74, 15.44]
    assert gg.report["left_out"] == 2357 - 946
    for m in (bg, pn, gg):
        assert pickle.loads(pickle.dumps(m)) == m
        m.save(tmp_path / f"{m.kind}.tkm")
        assert tk.load(tmp_path / f"{m.kind}.tkm") == m
        assert "log-likelihood" in repr(m) and "<table>" in m._repr_html_()
    # lifetimes' column names work too, and weights equal repeated rows.
    x, tx, T = (summary.column(c)[:800] for c in ("x", "t_x", "T"))
    d = {"frequency": np.r_[x, x[:1]], "recency": np.r_[tx, tx[:1]], "T": np.r_[T, T[:1]]}
    w = np.ones(800)
    w[0] = 2
    assert tk.BGNBD().fit(d).params == pytest.approx(tk.BGNBD().fit({"x": x, "t_x": tx, "T": T}, weight=w).params,
                                                     rel=1e-8)


def test_predictions_match_published_values():
    bg = tk.BGNBDModel(r=0.2426, alpha=4.4137, a=0.7930, b=2.4262)
    np.testing.assert_array_equal(np.round(bg.expected_purchases([0.1429, 1, 3, 31.8571, 32]), 4),
                                  [0.0078, 0.0532, 0.1506, 1.0405, 1.0437])
    assert round(bg.conditional_expected_purchases(39, {"x": [2], "t_x": [30.43], "T": [38.86]})[0], 3) == 1.226
    assert round(tk.BGNBDModel(r=0.243, alpha=4.414, a=0.793, b=2.426).probability_of_purchases(0, 39), 7) == 0.5737864
    assert bg.p_alive({"x": [0, 0], "t_x": [0, 0], "T": [1, 100]}).tolist() == [1.0, 1.0]
    extreme = {"x": [1000.0], "t_x": [10.0], "T": [100.0]}
    for m in (bg, tk.ParetoNBDModel(r=0.5534, alpha=10.5802, s=0.6061, beta=11.6562)):
        assert np.isfinite(m.p_alive(extreme)).all()
        assert np.isfinite(m.conditional_expected_purchases(52, extreme)).all()
    pn = tk.ParetoNBDModel(r=0.5534, alpha=10.5802, s=0.6061, beta=11.6562)
    assert round(pn.p_alive({"x": [26], "t_x": [30.86], "T": [31]})[0], 4) == 0.9979


def test_bad_input_gets_clear_errors(sample):
    with pytest.raises(tk.InvalidInput, match="T must be at least t_x"):
        tk.BGNBD().fit({"x": [1, 2], "t_x": [3.0, 1.0], "T": [2.0, 2.0]})
    with pytest.raises(tk.InvalidInput, match="non-negative integer"):
        tk.BGNBD().fit({"x": [1.5, 2], "t_x": [1.0, 1.0], "T": [2.0, 2.0]})
    with pytest.raises(tk.InvalidInput, match="non-negative and finite"):
        tk.ParetoNBD().fit({"x": [1, 2], "t_x": [-1.0, 1.0], "T": [2.0, 2.0]})
    with pytest.raises(tk.InvalidInput, match="before every purchase"):
        tk.clv.summary(sample, customer="customer", calibration_end="1996-01-01")
    with pytest.raises(tk.NotConverged) as e:
        tk.BGNBD(max_iterations=3).fit({"x": [1, 2, 3, 4], "t_x": [1.0, 2, 3, 4], "T": [1.0, 2, 3, 4]})
    assert len(e.value.parameters) == 4 and e.value.iterations == 3 and isinstance(e.value, ValueError)
    with pytest.raises(tk.SchemaError, match="'x'"):
        tk.BGNBD().fit({"t_x": [1.0], "T": [2.0]})


def test_clv_strategy_in_score_policy_files_value_potential_and_lifecycle(sample, tmp_path):
    p = tk.profile(sample, customer="customer", window_start="1997-01-01", as_of="1997-10-01", period="day")
    scores = tk.score(p, tk.CLV(horizon=39), tk.RFM()).to_pandas()
    assert {"clv", "p_alive", "expected_purchases", "expected_value"} <= set(scores.columns)
    assert 1500 < scores["expected_purchases"].sum() < 2200  # 1,882 actual in those 39 weeks
    assert scores["expected_purchases"].loc[1] == pytest.approx(1.226, abs=5e-4)
    model = tk.CLV().fit(p)
    assert model.value_basis == "repeat purchase days"
    assert tk.load(model.to_bytes()) == model and pickle.loads(pickle.dumps(model)) == model
    monthly = tk.profile(sample, customer="customer", window_start="1997-01-01", as_of="1997-10-01")
    assert tk.CLV().fit(monthly).value_basis == "all purchase days"
    vp = tk.ValuePotential(potential="clv").fit(p)
    cells = vp.apply(p).to_pandas()
    assert cells["vp_cell"].notna().sum() == len(p)
    assert tk.load(vp.to_bytes()) == vp and pickle.loads(pickle.dumps(vp)) == vp
    life = tk.Lifecycle(p_alive={"dormant": 0.5, "churned": 0.2})
    stages = life.fit_apply(p).to_pandas()
    alive = scores["p_alive"]
    assert (stages["lifecycle"][alive < 0.2] == "churned").all()
    assert (stages["lifecycle"][(alive >= 0.2) & (alive < 0.5)] == "dormant").all()
    lm = life.fit(p)
    assert tk.load(lm.to_bytes()) == lm
    policy = tmp_path / "clv.yaml"
    policy.write_text("""
tierkit: 1
transactions: {customer: customer, time: time, amount: amount, period: day}
strategies:
  - clv: {horizon: 52, unit: weeks}
  - value_potential: {potential: clv, clv: {horizon: 26}}
tiers:
  - tier: Keep
    when: clv >= 100 and p_alive > 0.5
  - tier: Win back
    when: p_alive <= 0.5 and expected_purchases > 0.1
default: Other
""")
    import datetime
    calibration = sample.filter(pa.compute.less(sample["time"], pa.scalar(datetime.date(1997, 10, 1))))
    result = tk.Tiering.from_file(policy).run(calibration, as_of="1997-10-01")
    counts = result.tiers.to_pandas()["tier"].value_counts()
    assert counts.sum() == 2357 and counts.get("Keep", 0) > 0
    with pytest.raises(tk.PolicyError, match="clv"):
        tk.Tiering.from_dict({"tiers": [], "strategies": [{"clv": {"horizn": 3}}]})


def test_tracking_equals_btyd_and_plots_render(sample, summary, tmp_path):
    tr = tk.clv.tracking(sample, customer="customer", origin="1997-01-01", end="1998-06-30",
                         calibration_end="1997-09-30")
    cum = np.genfromtxt(shared_data("cdnow") / "btyd_cdnowSummary_cu_tracking.csv", delimiter=",", names=True)
    np.testing.assert_array_equal(np.cumsum(tr.to_arrow().column("actual").to_numpy()), cum["cum_repeat_transactions"])
    bg = tk.BGNBD().fit(summary)
    expected = bg.expected_tracking(tr)
    assert expected[-1] == pytest.approx(4339, rel=0.1)
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    for i, draw in enumerate([lambda ax: bg.plot_frequency_recency(summary, ax=ax),
                              lambda ax: bg.plot_p_alive(summary, ax=ax, lang="zh"),
                              lambda ax: bg.plot_tracking(tr, ax=ax),
                              lambda ax: bg.plot_tracking(tr, cumulative=False, ax=ax),
                              lambda ax: bg.plot_calibration_holdout(summary, ax=ax)]):
        fig, ax = plt.subplots()
        assert draw(ax) is ax
        fig.savefig(tmp_path / f"clv_{i}.png")
        plt.close(fig)


def test_a_missing_calibration_end_is_invalid_input():
    # calibration_end=None was a TypeError from arithmetic on None.
    with pytest.raises(tk.InvalidInput, match="calibration_end: got None"):
        tk.clv.summary(tk.demo.transactions(10, 50), calibration_end=None)


def test_tracking_counts_the_summarys_repeat_days():
    # Customer 1 buys on days 0, 3 and 9; on day 3 a return outweighs the purchase (net < 0)
    # and day 9 holds two purchases. Customer 2 buys on day 1 and only returns on day 5.
    # Repeat purchase days: customer 1's days 3 and 9 (x = 2), none of customer 2's.
    base = np.datetime64("2024-01-01")
    t = pa.table({"customer_id": [1, 1, 1, 1, 1, 2, 2],
                  "time": pa.array(base + np.array([0, 3, 3, 9, 9, 1, 5]).astype("timedelta64[D]"))
                  .cast(pa.timestamp("us")),
                  "amount": [10.0, 5.0, -20.0, 4.0, 6.0, 8.0, -3.0]})
    s = tk.clv.summary(t, calibration_end="2024-01-31", unit="days")
    assert s.to_pandas()["x"].tolist() == [2.0, 0.0]
    tr = tk.clv.tracking(t, unit="days", end="2024-01-31")
    actual = tr.to_arrow().column("actual").to_numpy()
    assert actual.sum() == 2
    assert actual[3] == 1 and actual[9] == 1  # periods 4 and 10: days 3 and 9 since day 0
    np.testing.assert_array_equal(tr.births, [0.0, 1.0])
    with pytest.raises(tk.InvalidInput, match="no purchase line"):
        tk.clv.tracking(t.filter(pa.compute.less(t["amount"], 0)), unit="days")

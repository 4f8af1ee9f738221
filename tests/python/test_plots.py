"""Every chart renders to PNG, in English and Chinese, on generated and real data."""
from __future__ import annotations

import pytest

import tierkit as tk

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(scope="module")
def results():
    t = tk.demo.transactions(800, 30_000, seed=2)
    p = tk.profile(t, order="order_id")
    rfm = tk.RFM().fit(p)
    abc = tk.ABC().fit(p)
    vp = tk.ValuePotential().fit(p)
    scores = tk.score(p, tk.RFM(), tk.ABC(), tk.Lifecycle())
    tiers = tk.TierPolicy([("Gold", "abc_class = 'A'"), ("Silver", "r_score >= 3")], default="Bronze") \
        .assign(p, scores, keep="monetary")
    ledger = tk.TierHistory(tk.Tiering(tk.TierPolicy([("Gold", "monetary >= 1500"), ("Silver", "monetary >= 300")],
                                                     default="Bronze"),
                                       transactions=dict(customer="customer_id", time="time", amount="amount")),
                            start="2022-01-01", end="2023-06-01", transitions={"Gold": {"downgrade_after": 2}}).run(t)
    bank = tk.demo.bank(500, 10_000)
    adb = tk.average_daily_balances(bank["events"]).by_customer(bank["owners"])
    customers = adb.latest().to_arrow().join(bank["customers"], "customer_id")
    bands = tk.AssetBands.preset().fit_apply(customers)
    return {
        "rfm_heatmap": lambda ax, lang: tk.plots.rfm_heatmap(rfm.apply(p), ax=ax, lang=lang),
        "rfm_heatmap_monetary": lambda ax, lang: tk.plots.rfm_heatmap(rfm.apply(p), profile=p, value="monetary",
                                                                     ax=ax, lang=lang),
        "segment_bars": lambda ax, lang: tk.plots.segment_bars(rfm.segment_summary(p), ax=ax, lang=lang),
        "lorenz": lambda ax, lang: abc.plot_lorenz(ax=ax, lang=lang),
        "value_potential_grid": lambda ax, lang: tk.plots.value_potential_grid(vp.summary, ax=ax, lang=lang),
        "lifecycle_mix": lambda ax, lang: tk.plots.lifecycle_mix(scores, ax=ax, lang=lang),
        "tier_mix": lambda ax, lang: tk.plots.tier_mix(tiers, ax=ax, lang=lang),
        "asset_band_pyramid": lambda ax, lang: tk.plots.asset_band_pyramid(bands, ax=ax, lang=lang),
        "migration_heatmap": lambda ax, lang: ledger.migration("2022-01-01", "2023-06-01").plot(ax=ax, lang=lang),
        "tier_flows": lambda ax, lang: ledger.plot_flows(ax=ax, lang=lang),
        "tier_kpis": lambda ax, lang: ledger.plot_kpis(ax=ax, lang=lang),
    }


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_chart_renders(results, lang, tmp_path):
    for name, draw in results.items():
        fig, ax = plt.subplots(figsize=(7, 4.5))
        assert draw(ax, lang) is ax
        out = tmp_path / f"{name}-{lang}.png"
        fig.savefig(out, dpi=80)
        plt.close(fig)
        assert out.stat().st_size > 5_000, name
    if lang == "zh":
        from matplotlib import font_manager
        installed = {f.name for f in font_manager.fontManager.ttflist}
        if installed & set(tk.plots._CJK_FONTS):
            assert matplotlib.rcParams["font.sans-serif"][0] in tk.plots._CJK_FONTS


def test_charts_on_real_data(tmp_path):
    from conftest import shared_data
    from tierkit._io import read_table
    data = read_table(shared_data("online-retail-uci") / "online_retail.csv.gz",
                      text_columns=["CustomerID", "InvoiceNo"])
    job = tk.Tiering.from_dict({
        "transactions": {"customer": "CustomerID", "time": "InvoiceDate", "amount": "amount",
                         "order": "InvoiceNo", "derive": {"amount": "Quantity * UnitPrice"}, "on_invalid": "drop"},
        "strategies": ["rfm", "abc"], "tiers": [{"tier": "Top", "when": "abc_class = 'A'"}], "default": "Rest",
        "keep": ["monetary"]})
    result = job.run(data)
    for i, draw in enumerate([lambda ax: tk.plots.rfm_heatmap(result.scores[0], ax=ax),
                              lambda ax: result.models["abc"].plot_lorenz(ax=ax),
                              lambda ax: tk.plots.tier_mix(result.tiers, ax=ax, lang="zh")]):
        fig, ax = plt.subplots()
        draw(ax)
        fig.savefig(tmp_path / f"real-{i}.png", dpi=80)
        plt.close(fig)
        assert (tmp_path / f"real-{i}.png").stat().st_size > 5_000


def test_bad_language_is_refused(results):
    with pytest.raises(tk.InvalidInput, match="lang must be 'en' or 'zh'"):
        results["lorenz"](None, "fr")

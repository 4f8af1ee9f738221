"""Charts of tierkit's results (matplotlib: ``pip install 'tierkit[plot]'``).

Every function draws on ``ax`` (default: a new figure's axes), returns the Axes, and takes
``lang="en"`` or ``"zh"`` for its labels (Chinese needs a CJK font: tierkit looks for Noto
Sans CJK, Source Han Sans, WenQuanYi, SimHei or Microsoft YaHei and falls back to the
default font, whose missing glyphs show as boxes).

    tk.plots.rfm_heatmap(scores)                  R x F grid: customers (or mean monetary)
    tk.plots.segment_bars(model.segment_summary(p))   customers and revenue share per segment
    tk.plots.lorenz(abc_model)                    Lorenz curve and Gini
    tk.plots.value_potential_grid(vp_model.summary)
    tk.plots.lifecycle_mix(lifecycle_scores)
    tk.plots.tier_mix(tiers)                      customers and value share per tier
    tk.plots.asset_band_pyramid(bands)
    tk.plots.migration_heatmap(ledger.migration(d1, d2))
    tk.plots.tier_flows(ledger)                   customers per tier at each assessment
    tk.plots.tier_kpis(ledger)                    next-period value per customer by tier
    tk.plots.frequency_recency_matrix(bg, summary)  expected purchases by x and t_x (CLV models)
    tk.plots.p_alive_matrix(bg, summary)          P(alive) by x and t_x
    tk.plots.clv_tracking(bg, tk.clv.tracking(...))  actual vs expected repeat purchases over time
    tk.plots.calibration_holdout(bg, summary)     mean holdout purchases by calibration x
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._optional import require

_CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC", "WenQuanYi Zen Hei",
              "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC"]

_TEXT = {
    "customers": ("customers", "客户数"),
    "share_customers": ("share of customers", "客户占比"),
    "share_value": ("share of value", "价值占比"),
    "revenue": ("revenue", "收入"),
    "recency_score": ("recency score (R)", "近度评分 (R)"),
    "frequency_score": ("frequency score (F)", "频度评分 (F)"),
    "mean_monetary": ("mean monetary", "平均消费额"),
    "segment": ("segment", "客户分群"),
    "lorenz_x": ("share of customers (ascending value)", "客户累计占比（按价值升序）"),
    "lorenz_y": ("share of value", "价值累计占比"),
    "equality": ("equality", "绝对平均线"),
    "value_score": ("value", "价值"),
    "potential_score": ("potential", "潜力"),
    "stage": ("lifecycle stage", "生命周期阶段"),
    "tier": ("tier", "客户等级"),
    "band": ("asset band", "资产层级"),
    "from": ("tier on {d}", "{d} 的等级"),
    "to": ("tier on {d}", "{d} 的等级"),
    "assessment": ("assessment", "评估日期"),
    "next_value": ("next period's value per customer", "下一期人均价值"),
    "lorenz": ("Lorenz curve (Gini {g:.3f})", "洛伦兹曲线（基尼系数 {g:.3f}）"),
    "migration": ("tier migration {a} → {b} (share of the row's tier)", "客户等级迁移 {a} → {b}（占原等级比例）"),
    "flows": ("customers per tier", "各等级客户数"),
    "x": ("repeat purchases in calibration (x)", "校准期重复购买次数 (x)"),
    "t_x": ("time of the last purchase (t_x)", "最近一次购买时间 (t_x)"),
    "expected_next": ("expected purchases in the next {t:g} units", "未来 {t:g} 个时间单位的预期购买次数"),
    "p_alive": ("P(alive)", "存活概率 P(alive)"),
    "time_unit": ("time (units since the first day)", "时间（自首日起的时间单位）"),
    "repeat_purchases": ("repeat purchases", "重复购买次数"),
    "cumulative": ("cumulative repeat purchases", "累计重复购买次数"),
    "actual": ("actual", "实际"),
    "model": ("model", "模型"),
    "holdout_mean": ("mean purchases in the holdout", "验证期平均购买次数"),
    "calibration_end": ("calibration end", "校准期结束"),
}


def _t(key: str, lang: str, **fmt) -> str:
    en, zh = _TEXT[key]
    text = zh if lang == "zh" else en
    return text.format(**fmt) if fmt else text


def _lang(lang: str) -> str:
    if lang not in ("en", "zh"):
        from ._errors import InvalidInput
        raise InvalidInput(f"tierkit.plots: lang must be 'en' or 'zh'; got {lang!r}")
    return lang


def _axes(ax, lang: str, what: str):
    plt = require("matplotlib.pyplot", f"tierkit.plots.{what}")
    if lang == "zh":
        _use_cjk_font()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    return ax


def _use_cjk_font() -> None:
    """Puts the first installed CJK font ahead in matplotlib's sans-serif list."""
    import logging

    import matplotlib
    from matplotlib import font_manager
    # Fonts of one weight only (WenQuanYi is "medium") make matplotlib log each lookup.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    installed = {f.name for f in font_manager.fontManager.ttflist}
    chosen = [f for f in _CJK_FONTS if f in installed]
    if chosen:
        current = [f for f in matplotlib.rcParams["font.sans-serif"] if f not in chosen]
        matplotlib.rcParams["font.sans-serif"] = chosen + current
        matplotlib.rcParams["font.family"] = "sans-serif"
        matplotlib.rcParams["axes.unicode_minus"] = False


def _table(data) -> pa.Table:
    to_arrow = getattr(data, "to_arrow", None)
    if callable(to_arrow):
        return to_arrow()
    if isinstance(data, pa.Table):
        return data
    from ._arrow import as_arrow
    t = as_arrow(data, "tierkit.plots")
    return t.read_all() if isinstance(t, pa.RecordBatchReader) else t


def _labels(t: pa.Table, name: str, lang: str) -> list:
    zh = f"{name}_zh"
    col = t.column(zh if lang == "zh" and zh in t.column_names else name)
    return [None if v is None else str(v) for v in col.to_pylist()]


def _annotate(ax, matrix: np.ndarray, fmt: str, values: np.ndarray | None = None) -> None:
    shown = matrix if values is None else values
    top = np.nanmax(matrix) if matrix.size and np.isfinite(np.nanmax(matrix)) else 0
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            v = shown[i, j]
            if v is None or (isinstance(v, float) and np.isnan(v)):
                continue
            ax.text(j, i, format(v, fmt), ha="center", va="center", fontsize=8,
                    color="white" if top and matrix[i, j] > 0.6 * top else "black")


# --- strategies ------------------------------------------------------------------------------
def rfm_heatmap(scores, *, profile=None, value: str = "customers", ax=None, lang: str = "en"):
    """R x F grid of customers (``value="customers"``) or of mean monetary
    (``value="monetary"``, needs ``profile``). ``scores``: an RFM model's ``apply`` result."""
    lang = _lang(lang)
    ax = _axes(ax, lang, "rfm_heatmap")
    t = _table(scores)
    r = t.column("r_score").to_numpy(zero_copy_only=False).astype(float)
    f = t.column("f_score").to_numpy(zero_copy_only=False).astype(float)
    ok = ~(np.isnan(r) | np.isnan(f))
    bins_r, bins_f = int(np.nanmax(r)) if ok.any() else 5, int(np.nanmax(f)) if ok.any() else 5
    counts = np.zeros((bins_r, bins_f))
    np.add.at(counts, (r[ok].astype(int) - 1, f[ok].astype(int) - 1), 1)
    if value == "monetary":
        if profile is None:
            from ._errors import InvalidInput
            raise InvalidInput("tierkit.plots.rfm_heatmap: value='monetary' needs profile=")
        m = _monetary_of(profile, t)
        sums = np.zeros_like(counts)
        np.add.at(sums, (r[ok].astype(int) - 1, f[ok].astype(int) - 1), m[ok])
        with np.errstate(invalid="ignore", divide="ignore"):
            grid = np.where(counts > 0, sums / counts, np.nan)
        label, fmt = _t("mean_monetary", lang), ",.0f"
    elif value == "customers":
        grid, label, fmt = counts, _t("customers", lang), ",.0f"
    else:
        from ._errors import InvalidInput
        raise InvalidInput(f"tierkit.plots.rfm_heatmap: value must be 'customers' or 'monetary'; got {value!r}")
    im = ax.imshow(grid, origin="lower", cmap="viridis", aspect="auto")
    ax.figure.colorbar(im, ax=ax, label=label)
    _annotate(ax, grid, fmt)
    ax.set_xticks(range(bins_f), [str(i + 1) for i in range(bins_f)])
    ax.set_yticks(range(bins_r), [str(i + 1) for i in range(bins_r)])
    ax.set_xlabel(_t("frequency_score", lang))
    ax.set_ylabel(_t("recency_score", lang))
    return ax


def _monetary_of(profile, scores: pa.Table) -> np.ndarray:
    p = profile.to_arrow() if hasattr(profile, "to_arrow") else _table(profile)
    key = scores.column_names[0]
    idx = pc.index_in(scores.column(key), value_set=p.column(key).combine_chunks())
    m = p.column("monetary").take(idx.fill_null(0)).to_numpy(zero_copy_only=False).astype(float)
    m[np.asarray(idx.is_null().to_numpy(zero_copy_only=False), dtype=bool)] = np.nan
    return m


def segment_bars(summary, *, ax=None, lang: str = "en"):
    """Share of customers and of revenue per segment (an RFM model's ``segment_summary``)."""
    lang = _lang(lang)
    ax = _axes(ax, lang, "segment_bars")
    t = _table(summary)
    names = [n if n is not None else "—" for n in _labels(t, "segment", lang)]
    y = np.arange(len(names))
    ax.barh(y - 0.2, t.column("customer_share").to_numpy(zero_copy_only=False), height=0.4,
            label=_t("share_customers", lang))
    ax.barh(y + 0.2, t.column("revenue_share").to_numpy(zero_copy_only=False), height=0.4,
            label=_t("share_value", lang))
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(_percent())
    ax.set_ylabel(_t("segment", lang))
    ax.legend()
    return ax


def _percent():
    from matplotlib.ticker import PercentFormatter
    return PercentFormatter(1.0)


def lorenz(abc_model, *, ax=None, lang: str = "en"):
    """The Lorenz curve of an ABC model's values with the line of equality."""
    lang = _lang(lang)
    ax = _axes(ax, lang, "lorenz")
    c = abc_model.concentration
    curve = np.asarray(c.lorenz)
    x = np.linspace(0, 1, len(curve))
    ax.plot(x, curve, label=_t("lorenz", lang, g=c.gini))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label=_t("equality", lang))
    ax.xaxis.set_major_formatter(_percent())
    ax.yaxis.set_major_formatter(_percent())
    ax.set_xlabel(_t("lorenz_x", lang))
    ax.set_ylabel(_t("lorenz_y", lang))
    ax.legend()
    return ax


def value_potential_grid(summary, *, ax=None, lang: str = "en"):
    """Customers per value x potential cell, labelled with the cell names (a value x
    potential model's ``summary``)."""
    lang = _lang(lang)
    ax = _axes(ax, lang, "value_potential_grid")
    t = _table(summary)
    v = t.column("value_score").to_numpy(zero_copy_only=False).astype(int)
    pot = t.column("potential_score").to_numpy(zero_copy_only=False).astype(int)
    n = t.column("customers").to_numpy(zero_copy_only=False)
    cells = _labels(t, "cell", lang)
    grid = np.zeros((v.max(), pot.max()))
    names = np.empty(grid.shape, dtype=object)
    for i in range(len(v)):
        grid[v[i] - 1, pot[i] - 1] = n[i]
        names[v[i] - 1, pot[i] - 1] = f"{cells[i]}\n{int(n[i]):,}"
    im = ax.imshow(grid, origin="lower", cmap="Blues", aspect="auto")
    ax.figure.colorbar(im, ax=ax, label=_t("customers", lang))
    _annotate(ax, grid, "", names)
    ax.set_xticks(range(grid.shape[1]), [str(i + 1) for i in range(grid.shape[1])])
    ax.set_yticks(range(grid.shape[0]), [str(i + 1) for i in range(grid.shape[0])])
    ax.set_xlabel(_t("potential_score", lang))
    ax.set_ylabel(_t("value_score", lang))
    return ax


def _counts(labels: Sequence, order: Sequence | None = None) -> tuple[list, list]:
    values, counts = np.unique([x for x in labels if x is not None], return_counts=True)
    pairs = dict(zip(values.tolist(), counts.tolist()))
    keys = list(order) if order is not None else sorted(pairs, key=lambda k: -pairs[k])
    return keys, [pairs.get(k, 0) for k in keys]


def lifecycle_mix(scores, *, ax=None, lang: str = "en"):
    """Customers per lifecycle stage (a lifecycle model's ``apply`` result)."""
    lang = _lang(lang)
    ax = _axes(ax, lang, "lifecycle_mix")
    t = _table(scores)
    col = t.column("lifecycle_zh" if lang == "zh" and "lifecycle_zh" in t.column_names else "lifecycle")
    order = col.chunk(0).dictionary.to_pylist() if pa.types.is_dictionary(col.type) and col.num_chunks else None
    keys, counts = _counts([None if v is None else str(v) for v in col.to_pylist()], order)
    ax.bar(keys, counts, color="tab:green")
    ax.set_xlabel(_t("stage", lang))
    ax.set_ylabel(_t("customers", lang))
    return ax


def tier_mix(tiers, *, value: str = "monetary", ax=None, lang: str = "en"):
    """Share of customers and, when the assignment kept `value`, of value per tier (a tier
    assignment or its ``summary()``)."""
    lang = _lang(lang)
    ax = _axes(ax, lang, "tier_mix")
    t = _table(tiers.summary(value) if hasattr(tiers, "summary") else tiers)
    names = [str(x) for x in t.column("tier").to_pylist()]
    y = np.arange(len(names))
    has_value = f"{value}_share" in t.column_names
    height = 0.4 if has_value else 0.8
    ax.barh(y - (0.2 if has_value else 0), t.column("share").to_numpy(zero_copy_only=False), height=height,
            label=_t("share_customers", lang))
    if has_value:
        ax.barh(y + 0.2, t.column(f"{value}_share").to_numpy(zero_copy_only=False), height=height,
                label=_t("share_value", lang))
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(_percent())
    ax.set_ylabel(_t("tier", lang))
    ax.legend()
    return ax


def asset_band_pyramid(bands, *, ax=None, lang: str = "en"):
    """Customers per asset band, the highest band on top (asset bands' ``apply`` result)."""
    lang = _lang(lang)
    ax = _axes(ax, lang, "asset_band_pyramid")
    t = _table(bands)
    col = t.column("asset_band_zh" if lang == "zh" and "asset_band_zh" in t.column_names else "asset_band")
    order = col.chunk(0).dictionary.to_pylist() if pa.types.is_dictionary(col.type) and col.num_chunks else None
    keys, counts = _counts([None if v is None else str(v) for v in col.to_pylist()], order)
    y = np.arange(len(keys))
    widths = np.asarray(counts, dtype=float)
    ax.barh(y, widths, left=-widths / 2, color="tab:purple")
    for yi, w in zip(y, widths):
        ax.text(0, yi, f"{int(w):,}", ha="center", va="center", color="white" if w else "black", fontsize=8)
    ax.set_yticks(y, keys)
    ax.invert_yaxis()
    ax.set_xticks([])
    ax.set_ylabel(_t("band", lang))
    return ax


# --- over time -------------------------------------------------------------------------------
def migration_heatmap(migration, *, ax=None, lang: str = "en"):
    """A migration matrix (``TierLedger.migration``): each row's shares, with counts."""
    lang = _lang(lang)
    ax = _axes(ax, lang, "migration_heatmap")
    shares = np.nan_to_num(migration.shares, nan=0.0)
    im = ax.imshow(shares, cmap="Oranges", vmin=0, vmax=1, aspect="auto")
    ax.figure.colorbar(im, ax=ax, format=_percent(), label=_t("share_customers", lang))
    text = np.empty(shares.shape, dtype=object)
    for i in range(shares.shape[0]):
        for j in range(shares.shape[1]):
            text[i, j] = f"{int(migration.counts[i, j]):,}\n{shares[i, j]:.0%}"
    _annotate(ax, shares, "", text)
    ax.set_xticks(range(len(migration.columns)), migration.columns)
    ax.set_yticks(range(len(migration.rows)), migration.rows)
    ax.set_xlabel(_t("to", lang, d=migration.to_date))
    ax.set_ylabel(_t("from", lang, d=migration.from_date))
    ax.set_title(_t("migration", lang, a=migration.from_date, b=migration.to_date))
    return ax


def _per_assessment(ledger, column: str):
    """{tier: values per assessment date} from the ledger's KPI table, tiers in rank order."""
    k = ledger.kpis().to_arrow()
    dates = sorted(set(k.column("assessment").to_pylist()))
    at = {d: i for i, d in enumerate(dates)}
    out = {t: np.full(len(dates), np.nan) for t in ledger.ranks}
    for row in k.to_pylist():
        if row["tier"] in out and row[column] is not None:
            out[row["tier"]][at[row["assessment"]]] = row[column]
    return dates, out


def _slant_dates(ax) -> None:
    """Date ticks slanted on this axes only (Figure.autofmt_xdate would hide the tick
    labels of every axes but the bottom row)."""
    for label in ax.get_xticklabels():
        label.set_rotation(30)
        label.set_horizontalalignment("right")


def tier_flows(ledger, *, ax=None, lang: str = "en"):
    """Customers per held tier at each assessment, stacked (highest tier on top)."""
    lang = _lang(lang)
    ax = _axes(ax, lang, "tier_flows")
    dates, by_tier = _per_assessment(ledger, "customers")
    tiers = list(reversed(ledger.ranks))
    ax.stackplot(dates, [np.nan_to_num(by_tier[t]) for t in tiers], labels=tiers)
    ax.set_xlabel(_t("assessment", lang))
    ax.set_ylabel(_t("customers", lang))
    ax.set_title(_t("flows", lang))
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="upper left", fontsize=8)
    _slant_dates(ax)
    return ax


def tier_kpis(ledger, *, ax=None, lang: str = "en"):
    """Next period's value per customer by tier held at each assessment (do tiers predict
    value?)."""
    lang = _lang(lang)
    ax = _axes(ax, lang, "tier_kpis")
    dates, by_tier = _per_assessment(ledger, "next_value_per_customer")
    for t in ledger.ranks:
        ax.plot(dates, by_tier[t], marker="o", markersize=3, label=t)
    ax.set_xlabel(_t("assessment", lang))
    ax.set_ylabel(_t("next_value", lang))
    ax.legend(fontsize=8)
    _slant_dates(ax)
    return ax


# --- lifetime value --------------------------------------------------------------------------
def _grid_extent(model, data, max_x, T):
    if data is not None:
        from .clv import _xtT
        x, _, TT = _xtT(data)
        max_x = int(min(np.nanmax(x), 60)) if max_x is None else max_x
        T = float(np.nanmax(TT)) if T is None else T
    return (10 if max_x is None else int(max_x)), (52.0 if T is None else float(T))


def _matrix(model, data, max_x, T, fn):
    max_x, T = _grid_extent(model, data, max_x, T)
    tx = np.linspace(0, T, 60)
    xs = np.arange(max_x + 1, dtype=float)
    X, TX = np.meshgrid(xs, tx)
    flat_x, flat_t = X.ravel(), TX.ravel()
    ok = ~((flat_x == 0) & (flat_t > 0))  # x = 0 has no last repeat purchase
    z = np.full(flat_x.shape, np.nan)
    z[ok] = fn(flat_x[ok], flat_t[ok], np.full(ok.sum(), T))
    return xs, tx, z.reshape(X.shape), T


def frequency_recency_matrix(model, data=None, *, t: float = 1.0, max_x: int | None = None, T: float | None = None,
                             ax=None, lang: str = "en"):
    """Expected purchases in the next ``t`` units by x (columns) and t_x (rows), for a
    customer observed for ``T`` units (default: the data's longest)."""
    lang = _lang(lang)
    ax = _axes(ax, lang, "frequency_recency_matrix")
    xs, tx, z, T = _matrix(model, data, max_x, T,
                           lambda x, r, TT: model._core.conditional_expected_purchases(float(t), x, r, TT))
    im = ax.imshow(z, origin="lower", aspect="auto", cmap="viridis",
                   extent=(xs[0] - 0.5, xs[-1] + 0.5, tx[0], tx[-1]))
    ax.figure.colorbar(im, ax=ax, label=_t("expected_next", lang, t=t))
    ax.set_xlabel(_t("x", lang))
    ax.set_ylabel(_t("t_x", lang))
    return ax


def p_alive_matrix(model, data=None, *, max_x: int | None = None, T: float | None = None, ax=None, lang: str = "en"):
    """P(alive) by x (columns) and t_x (rows) at T (default: the data's longest)."""
    lang = _lang(lang)
    ax = _axes(ax, lang, "p_alive_matrix")
    xs, tx, z, T = _matrix(model, data, max_x, T, lambda x, r, TT: model._core.p_alive(x, r, TT))
    im = ax.imshow(z, origin="lower", aspect="auto", cmap="RdYlGn", vmin=0, vmax=1,
                   extent=(xs[0] - 0.5, xs[-1] + 0.5, tx[0], tx[-1]))
    ax.figure.colorbar(im, ax=ax, label=_t("p_alive", lang))
    ax.set_xlabel(_t("x", lang))
    ax.set_ylabel(_t("t_x", lang))
    return ax


def clv_tracking(model, tracking, *, cumulative: bool = True, ax=None, lang: str = "en"):
    """Actual against expected repeat purchases per period (``tk.clv.tracking``),
    cumulative or per period, with the calibration end marked when known."""
    lang = _lang(lang)
    ax = _axes(ax, lang, "clv_tracking")
    t = _table(tracking)
    period = t.column("period").to_numpy(zero_copy_only=False).astype(float)
    actual = t.column("actual").to_numpy(zero_copy_only=False).astype(float)
    expected = model.expected_cumulative(tracking.births, period, tracking.birth_weights)
    if cumulative:
        a, e, label = np.cumsum(actual), expected, _t("cumulative", lang)
    else:
        a, e, label = actual, np.diff(np.concatenate([[0.0], expected])), _t("repeat_purchases", lang)
    ax.plot(period, a, label=_t("actual", lang), color="black")
    ax.plot(period, e, label=_t("model", lang), linestyle="--", color="tab:red")
    if getattr(tracking, "calibration_period", None) is not None:
        ax.axvline(tracking.calibration_period, color="grey", linestyle=":", label=_t("calibration_end", lang))
    ax.set_xlabel(_t("time_unit", lang))
    ax.set_ylabel(label)
    ax.legend()
    return ax


def calibration_holdout(model, data, *, max_x: int = 7, ax=None, lang: str = "en"):
    """Mean holdout purchases (actual and expected) by calibration repeat purchases x, the
    last group holding x >= max_x (a summary with a holdout)."""
    lang = _lang(lang)
    ax = _axes(ax, lang, "calibration_holdout")
    from .clv import _xtT
    if getattr(data, "T_star", None) is None:
        from ._errors import InvalidInput
        raise InvalidInput("tierkit.plots.calibration_holdout: needs a summary with a holdout (holdout_end=)")
    x, tx, T = _xtT(data)
    actual = data.column("x_star")
    expected = model._core.conditional_expected_purchases(float(data.T_star), x, tx, T)
    group = np.minimum(x, max_x).astype(int)
    n = np.bincount(group, minlength=max_x + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.bincount(group, weights=actual, minlength=max_x + 1) / n
        e = np.bincount(group, weights=expected, minlength=max_x + 1) / n
    ticks = [str(i) for i in range(max_x)] + [f"{max_x}+"]
    ax.plot(range(max_x + 1), a, marker="o", color="black", label=_t("actual", lang))
    ax.plot(range(max_x + 1), e, marker="s", linestyle="--", color="tab:red", label=_t("model", lang))
    ax.set_xticks(range(max_x + 1), ticks)
    ax.set_xlabel(_t("x", lang))
    ax.set_ylabel(_t("holdout_mean", lang))
    ax.legend()
    return ax


__all__ = ["frequency_recency_matrix", "p_alive_matrix", "clv_tracking", "calibration_holdout", "rfm_heatmap",
           "segment_bars", "lorenz", "value_potential_grid", "lifecycle_mix", "tier_mix",
           "asset_band_pyramid", "migration_heatmap", "tier_flows", "tier_kpis"]

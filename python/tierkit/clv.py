"""Customer lifetime value: BG/NBD, Pareto/NBD and Gamma-Gamma, fitted in C++.

    s = tk.clv.summary(tx, customer="id", time="date", amount="value",
                       calibration_end="1997-09-30", holdout_end="1998-06-30", unit="weeks")
    bg = tk.BGNBD().fit(s)                  # maximum likelihood; bg.summary, bg.log_likelihood
    bg.p_alive(s); bg.conditional_expected_purchases(39, s); bg.expected_purchases([1, 52])
    gg = tk.GammaGamma().fit(s)             # on customers with repeat purchases
    bg.clv(s, gg, horizon=52, steps=12, discount_rate=0.01)
    tk.score(profile, tk.CLV(horizon=52))   # clv, p_alive, expected_purchases, expected_value
    bg.plot_frequency_recency(s); bg.plot_tracking(tx_tracking); bg.plot_calibration_holdout(s)

Definitions (include/tierkit/strategies/*.hpp): x = repeat purchase days in the calibration
period (purchases on one day merged, the first not counted); t_x = time from the first to
the last purchase day; T = time from the first purchase day to the calibration end; m_x =
mean net value of the repeat purchase days (0 when x = 0) -- BTYD's and lifetimes'
conventions. Models fit on log-parameters (BFGS, analytic gradients, Newton polish);
identical customers are merged first; ``l2_penalty`` is lifetimes' penalizer. A fit that
does not converge raises ``tk.NotConverged`` with where it stopped.
"""
from __future__ import annotations

import datetime as _dt
import html
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from . import _core
from ._model import FrozenModel
from ._errors import InvalidInput, SchemaError
from ._results import ArrowResult, Table
from ._time import to_date
from .scoring import keyed_table, metrics_of, plain_table, register_loader

NotConverged = _core.NotConverged

_UNITS = {"days": 1.0, "day": 1.0, "weeks": 7.0, "week": 7.0}


def _unit_days(unit) -> float:
    if isinstance(unit, str):
        if unit not in _UNITS:
            raise InvalidInput(f"tierkit.clv: unit must be 'days', 'weeks' or a number of days; got {unit!r}")
        return _UNITS[unit]
    try:
        v = float(unit)
    except (TypeError, ValueError):
        raise InvalidInput(f"tierkit.clv: unit must be 'days', 'weeks' or a number of days; got {unit!r}") from None
    if not v > 0:
        raise InvalidInput(f"tierkit.clv: unit must be a positive number of days; got {unit!r}")
    return v


class CLVSummary(ArrowResult):
    """Per customer x, t_x, T, m_x (and x_star, m_x_star with a holdout), keyed by customer.

    ``unit_days``, ``calibration_end``, ``holdout_end``, ``T_star`` (holdout length in units),
    ``holdout_only`` (customers first buying in the holdout, not in the summary) and
    ``without_purchase`` (customers with only returns) describe it.
    """

    key_name: str

    def __init__(self, core, keys: pa.Array, key_name: str):
        self._core = core
        self.key_name = key_name
        cols = core.columns()
        self._cols = {k: np.asarray(v) for k, v in cols.items()}
        arrays = {key_name: keys.take(pa.array(self._cols["profile_row"]))}
        for name in ("x", "t_x", "T", "m_x", "x_star", "m_x_star"):
            if name in self._cols:
                arrays[name] = pa.array(self._cols[name])
        arrays["first_purchase"] = pa.array(self._cols["first_purchase"]).view(pa.date32())
        self._table = pa.table(arrays)
        self.unit_days = core.unit_days
        self.calibration_end = to_date(core.calibration_end)
        self.holdout_end = to_date(core.holdout_end) if core.has_holdout else None
        self.T_star = core.T_star if core.has_holdout else None
        self.holdout_only = core.holdout_only
        self.without_purchase = core.without_purchase

    def to_arrow(self) -> pa.Table:
        """One row per customer: the key, x, t_x, T and m_x (and the holdout columns)."""
        return self._table

    def column(self, name: str) -> np.ndarray:
        """One column (x, t_x, T, m_x, and the holdout columns when present) as a numpy array."""
        return self._cols[name]

    @property
    def has_holdout(self) -> bool:
        """True when the summary also counts purchases in a holdout period after calibration."""
        return self._core.has_holdout

    def __repr__(self) -> str:
        hold = (f", holdout to {self.holdout_end} ({self.T_star:g} units)" if self.has_holdout else "")
        return (f"CLVSummary({len(self):,} customers, unit {self.unit_days:g} days, calibration to "
                f"{self.calibration_end}{hold}; {int((self._cols['x'] > 0).sum()):,} with repeat purchases)")


def summary(data, *, customer: str = "customer_id", time: str = "time", amount: str = "amount",
            calibration_end, holdout_end=None, unit="weeks", order: str | None = None,
            time_zone=None, on_invalid: str = "raise", valid_dates=None,
            threads: int | None = None) -> CLVSummary:
    """The repeat-buying summary of transactions (any input ``tk.profile`` reads).

    ``calibration_end`` is the last day of the calibration period (included); ``holdout_end``
    the last day of an optional holdout period after it. ``unit``: "weeks" (default, the
    CDNOW papers'), "days", or a number of days. Built from two daily profiles
    (calibration, holdout), so every input type, time zone, invalid-row policy and
    ``valid_dates`` of ``tk.profile`` applies.
    """
    from .profile import profile
    from ._time import required_day as _to_day
    u = _unit_days(unit)
    end = _to_day(calibration_end, "calibration_end")
    common = dict(customer=customer, time=time, amount=amount, order=order, time_zone=time_zone,
                  period="day", spend_series=True, purchase_days=True, on_invalid=on_invalid,
                  valid_dates=valid_dates, threads=threads)
    try:
        cal = profile(data, window_start=_dt.date(1, 1, 1), as_of=to_date(end + 1), **common)
    except InvalidInput as e:
        if "no transaction" not in str(e):
            raise
        cal = None
    if cal is None or cal.to_arrow().column("first_purchase").null_count == len(cal):
        raise InvalidInput(f"tierkit.clv.summary: calibration_end {to_date(end)} is before every purchase: "
                           "no purchase line on or before it")
    hold = None
    if holdout_end is not None:
        hend = _to_day(holdout_end, "holdout_end")
        if hend <= end:
            raise InvalidInput("tierkit.clv.summary: holdout_end must be after calibration_end")
        hold = profile(data, window_start=to_date(end + 1), as_of=to_date(hend + 1), **common)
    core = _core.clv_summary(cal._core, hold._core if hold is not None else None, u)
    keys = cal.to_arrow().column(0).combine_chunks()
    return CLVSummary(core, keys, cal.key_name)


class Tracking(Table):
    """Repeat purchase days per period of all customers (``period`` 1, 2, ..., ``actual``),
    with what the expected curve needs: ``births`` (each first purchase in units since the
    origin, one entry per distinct day) and ``birth_weights`` (customers per entry)."""

    births: np.ndarray
    birth_weights: np.ndarray
    calibration_period: float | None = None


def tracking(data, *, customer: str = "customer_id", time: str = "time", amount: str = "amount",
             order: str | None = None, unit="weeks", origin=None, end=None, calibration_end=None,
             time_zone=None, on_invalid: str = "raise", valid_dates=None,
             threads: int | None = None) -> Tracking:
    """Repeat purchase days per period since ``origin`` (default: the first purchase day):
    period k holds days origin + unit*(k-1) .. origin + unit*k - 1 (BTYD's weeks).

    A repeat purchase day is what ``summary`` counts in x: a day with a purchase line
    (amount >= 0, whatever else the day holds) after the customer's first purchase day,
    purchases on one day merged. So the curve summed up to the calibration end is the
    summary's x summed over customers. The other settings are ``summary``'s (``order``,
    ``on_invalid`` and ``valid_dates`` decide which rows are valid, as there)."""
    from ._time import required_day as _to_day
    from .profile import ProfileBuilder
    u = _unit_days(unit)
    last_day = None if end is None else _to_day(end, "end")
    # The days themselves come from a period table of the whole span: its per-customer
    # lists of distinct purchase days are the days the summary counts.
    builder = ProfileBuilder(customer=customer, time=time, amount=amount, order=order, period="day",
                             spend_series=False, purchase_days=True, time_zone=time_zone,
                             window_start=_dt.date(1, 1, 1),
                             as_of=_dt.date(9999, 12, 31) if last_day is None else to_date(last_day + 1),
                             on_invalid=on_invalid, valid_dates=valid_dates, threads=threads)
    builder.update(data)
    offsets, days = builder._state.finish_period().purchase_days()
    offsets = np.asarray(offsets)
    days = np.asarray(days, dtype=np.int64)
    counts = np.diff(offsets)
    buyers = counts > 0
    if not buyers.any():
        raise InvalidInput("tierkit.clv.tracking: no purchase line"
                           + ("" if last_day is None else f" on or before end ({to_date(last_day)})"))
    first = days[offsets[:-1][buyers]]
    is_first = np.zeros(len(days), dtype=bool)
    is_first[offsets[:-1][buyers]] = True
    repeat_days = days[~is_first]
    o = int(first.min()) if origin is None else _to_day(origin, "origin")
    last = int(days.max()) if last_day is None else last_day
    periods = int(np.ceil((last - o + 1) / u))
    k = (np.floor((repeat_days - o) / u) + 1).astype(int)
    actual = np.bincount(k[(k >= 1) & (k <= periods)], minlength=periods + 1)[1:]
    b, w = np.unique((first - o) / u, return_counts=True)
    t = Tracking(pa.table({"period": pa.array(np.arange(1, periods + 1)), "actual": pa.array(actual)}),
                 None, "repeat purchases per period")
    t.births, t.birth_weights = b, w.astype(np.float64)
    t.calibration_period = None if calibration_end is None else (_to_day(calibration_end, "calibration_end") - o) / u
    return t


# --- reading x, t_x, T from what users have -----------------------------------------------
_ALIASES = {"x": ("x", "frequency"), "t_x": ("t_x", "recency"), "T": ("T", "T", "T_cal"),
            "m_x": ("m_x", "monetary_value", "zbar")}


def _column(data, name: str, required: bool = True):
    if isinstance(data, CLVSummary):
        return data.column(name) if name in data._cols else None
    if isinstance(data, Mapping):
        for alias in _ALIASES.get(name, (name,)):
            if alias in data:
                return np.asarray(data[alias], dtype=np.float64)
    else:
        from ._arrow import as_arrow
        t = data if isinstance(data, pa.Table) else as_arrow(data, "tierkit.clv")
        t = t.read_all() if isinstance(t, pa.RecordBatchReader) else t
        for alias in _ALIASES.get(name, (name,)):
            if alias in t.column_names:
                return t.column(alias).cast(pa.float64()).to_numpy(zero_copy_only=False)
    if required:
        raise SchemaError(f"tierkit.clv: the data need a column {name!r} "
                          f"(or {', '.join(map(repr, _ALIASES[name][1:]))}); "
                          "make one with tk.clv.summary(transactions, ...)")
    return None


def _xtT(data) -> tuple[Any, Any, Any]:
    return _column(data, "x"), _column(data, "t_x"), _column(data, "T")


def _keys(data):
    if isinstance(data, CLVSummary):
        return data.to_arrow().column(0), data.key_name
    return None, None


def _as_vector(t) -> np.ndarray:
    return np.atleast_1d(np.asarray(t, dtype=np.float64))


def _report_table(core_params: dict, report: dict) -> Table:
    names = report["names"]
    est = np.asarray(report["estimate"])
    se = np.asarray(report["std_error"]) if report["std_error"] else np.full(len(names), np.nan)
    z = 1.959963984540054
    return Table(pa.table({
        "parameter": pa.array(names),
        "estimate": pa.array(est),
        "std_error": pa.array(se, mask=np.isnan(se)),
        "lower_95": pa.array(est - z * se, mask=np.isnan(se)),
        "upper_95": pa.array(est + z * se, mask=np.isnan(se)),
    }), None, "parameters")


class _Fitter:
    def __init__(self, *, l2_penalty: float = 0.0, max_iterations: int = 1000,
                 gradient_tolerance: float = 1e-8, initial=None):
        self._options: dict[str, Any] = dict(l2_penalty=float(l2_penalty), max_iterations=int(max_iterations),
                             gradient_tolerance=float(gradient_tolerance),
                             initial=[float(v) for v in (initial or [])])

    def __repr__(self) -> str:
        o = self._options
        extra = "" if o["l2_penalty"] == 0 else f"l2_penalty={o['l2_penalty']:g}"
        return f"{type(self).__name__}({extra})"


class _PurchaseModel(FrozenModel):
    """What BG/NBD and Pareto/NBD models share (a `_core` model)."""

    kind = ""

    def __init__(self, core):
        self._core = core

    @property
    def params(self) -> dict:
        return dict(self._core.params)

    @property
    def report(self) -> dict:
        return dict(self._core.report)

    @property
    def log_likelihood(self) -> float:
        return self._core.report["log_likelihood"]

    @property
    def summary(self) -> Table:
        """Tidy table: parameter, estimate, std_error, 95% interval."""
        return _report_table(self.params, self.report)

    # --- predictions ------------------------------------------------------------------------
    def expected_purchases(self, t) -> np.ndarray:
        """E[X(t)]: expected repeat purchases of a new customer within t units."""
        return self._core.expected_purchases(_as_vector(t))

    def conditional_expected_purchases(self, t: float, data) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: each customer's expected purchases in the next t units."""
        return self._core.conditional_expected_purchases(float(t), *_xtT(data))

    def p_alive(self, data) -> np.ndarray:
        """P(alive at T | x, t_x, T) per customer."""
        return self._core.p_alive(*_xtT(data))

    def probability_of_purchases(self, n: int, t: float) -> float:
        """P(X(t) = n) for a new customer."""
        return self._core.probability_of_purchases(int(n), float(t))

    def expected_cumulative(self, birth, times, weight=None) -> np.ndarray:
        """Expected repeat purchases of a cohort up to each of ``times`` (tracking): the sum
        over customers born at ``birth`` (same unit, same origin) of E[X(time - birth)]."""
        w = None if weight is None else np.asarray(weight, dtype=np.float64)
        return self._core.expected_cumulative(np.asarray(birth, dtype=np.float64), w, _as_vector(times))

    def expected_tracking(self, tracking: "Tracking") -> np.ndarray:
        """Expected cumulative repeat purchases at the end of each period of ``tracking``."""
        period = tracking.to_arrow().column("period").to_numpy().astype(np.float64)
        return self.expected_cumulative(tracking.births, period, tracking.birth_weights)

    def predict(self, data, horizon: float) -> Table:
        """Per customer p_alive and expected_purchases over ``horizon`` units."""
        x, tx, T = _xtT(data)
        keys, key_name = _keys(data)
        cols = {"p_alive": self._core.p_alive(x, tx, T),
                "expected_purchases": self._core.conditional_expected_purchases(float(horizon), x, tx, T)}
        t = pa.table(({key_name: keys} if keys is not None else {}) | {k: pa.array(v) for k, v in cols.items()})
        return Table(t, key_name, "predictions")

    def clv(self, data, value_model: "GammaGammaModel", *, horizon: float = 52, steps: int = 12,
            discount_rate: float = 0.01) -> np.ndarray:
        """Lifetime value over ``horizon`` units: over ``steps`` equal steps, expected value per
        purchase times the step's expected purchases, discounted by (1 + discount_rate)^k."""
        x, tx, T = _xtT(data)
        m = _column(data, "m_x")
        value = value_model.conditional_expected_value(x, m)
        h = horizon / steps
        prev = np.zeros(len(x))
        out = np.zeros(len(x))
        for k in range(1, steps + 1):
            e = self._core.conditional_expected_purchases(h * k, x, tx, T)
            out += value * (e - prev) / (1 + discount_rate) ** k
            prev = e
        return out

    # --- plots ------------------------------------------------------------------------------
    def plot_frequency_recency(self, data=None, *, t: float = 1.0, max_x: int | None = None,
                               T: float | None = None, ax=None, lang: str = "en"):
        from . import plots
        return plots.frequency_recency_matrix(self, data, t=t, max_x=max_x, T=T, ax=ax, lang=lang)

    def plot_p_alive(self, data=None, *, max_x: int | None = None, T: float | None = None, ax=None,
                     lang: str = "en"):
        from . import plots
        return plots.p_alive_matrix(self, data, max_x=max_x, T=T, ax=ax, lang=lang)

    def plot_tracking(self, tracking, *, cumulative: bool = True, ax=None, lang: str = "en"):
        from . import plots
        return plots.clv_tracking(self, tracking, cumulative=cumulative, ax=ax, lang=lang)

    def plot_calibration_holdout(self, data, *, max_x: int = 7, ax=None, lang: str = "en"):
        from . import plots
        return plots.calibration_holdout(self, data, max_x=max_x, ax=ax, lang=lang)

    def __repr__(self) -> str:
        p = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        r = self.report
        if r["fitted"]:
            return (f"{type(self).__name__}({p}; log-likelihood {r['log_likelihood']:.3f} on "
                    f"{r['customers']:,.0f} customers, {r['distinct_rows']:,} distinct rows, "
                    f"{r['iterations']} iterations)")
        return f"{type(self).__name__}({p}; parameters given)"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(r['parameter'])}</td><td>{r['estimate']:.6g}</td>"
            f"<td>{'' if r['std_error'] is None else format(r['std_error'], '.4g')}</td></tr>"
            for r in self.summary.to_arrow().to_pylist())
        ll = self.log_likelihood
        return (f"<div><strong>tierkit {type(self).__name__}</strong>"
                + (f" log-likelihood {ll:.4f}" if ll == ll else "")
                + f"<table><tr><th>parameter</th><th>estimate</th><th>std. error</th></tr>{rows}</table></div>")


class BGNBDModel(_PurchaseModel):
    """A BG/NBD model (fitted, or built from given parameters ``BGNBDModel(r=, alpha=, a=, b=)``)."""

    kind = "bg_nbd"
    _core_class = _core.BGNBDModel

    def __init__(self, core=None, *, r=None, alpha=None, a=None, b=None):
        super().__init__(core if core is not None else _core.BGNBDModel(r, alpha, a, b))


class ParetoNBDModel(_PurchaseModel):
    """A Pareto/NBD model (fitted, or ``ParetoNBDModel(r=, alpha=, s=, beta=)``)."""

    kind = "pareto_nbd"
    _core_class = _core.ParetoNBDModel

    def __init__(self, core=None, *, r=None, alpha=None, s=None, beta=None):
        super().__init__(core if core is not None else _core.ParetoNBDModel(r, alpha, s, beta))


class BGNBD(_Fitter):
    """The BG/NBD fitter: ``BGNBD(l2_penalty=0).fit(summary)`` (or any table with x, t_x, T,
    or lifetimes' frequency, recency, T; ``weight=`` counts per row)."""

    def fit(self, data, weight=None) -> BGNBDModel:
        """Fits BG/NBD by maximum likelihood to a CLVSummary (or x, t_x, T columns); raises
        NotConverged with the optimiser's state when it does not converge."""
        w = None if weight is None else np.asarray(weight, dtype=np.float64)
        return BGNBDModel(_core.BGNBDModel.fit(*_xtT(data), w, **self._options))


class ParetoNBD(_Fitter):
    """The Pareto/NBD fitter (as BGNBD)."""

    def fit(self, data, weight=None) -> ParetoNBDModel:
        """Fits Pareto/NBD by maximum likelihood to a CLVSummary (or x, t_x, T columns); raises
        NotConverged with the optimiser's state when it does not converge."""
        w = None if weight is None else np.asarray(weight, dtype=np.float64)
        return ParetoNBDModel(_core.ParetoNBDModel.fit(*_xtT(data), w, **self._options))


class GammaGammaModel(FrozenModel):
    """A Gamma-Gamma spend model (fitted, or ``GammaGammaModel(p=, q=, gamma=)``)."""

    kind = "gamma_gamma"
    _core_class = _core.GammaGammaModel

    def __init__(self, core=None, *, p=None, q=None, gamma=None):
        self._core = core if core is not None else _core.GammaGammaModel(p, q, gamma)

    @property
    def params(self) -> dict:
        """The parameters p, q and gamma."""
        return dict(self._core.params)

    @property
    def report(self) -> dict:
        """How the fit went: converged, iterations, log-likelihood, customers used, standard
        errors (empty for given parameters)."""
        return dict(self._core.report)

    @property
    def log_likelihood(self) -> float:
        """The log-likelihood at the fitted parameters (NaN for given parameters)."""
        return self._core.report["log_likelihood"]

    @property
    def summary(self) -> Table:
        """Parameters with standard errors, as a table."""
        return _report_table(self.params, self.report)

    @property
    def population_mean(self) -> float:
        """The expected value per purchase of a customer about whom nothing is known: p * gamma
        / (q - 1)."""
        return self._core.population_mean

    def conditional_expected_value(self, x, m_x=None) -> np.ndarray:
        """E[value per purchase | x, m_x]; the population mean where x = 0 or m_x <= 0.
        ``x`` may be a summary (then m_x is read from it)."""
        if m_x is None:
            x, m_x = _column(x, "x"), _column(x, "m_x")
        return self._core.conditional_expected_value(np.asarray(x, dtype=np.float64),
                                                     np.asarray(m_x, dtype=np.float64))

    __repr__ = _PurchaseModel.__repr__
    _repr_html_ = _PurchaseModel._repr_html_


class GammaGamma(_Fitter):
    """The Gamma-Gamma fitter: ``GammaGamma().fit(summary)`` uses customers with x > 0 and
    m_x > 0 (the others are counted in ``report['left_out']``)."""

    def fit(self, data, m_x=None, weight=None) -> GammaGammaModel:
        """Fits Gamma-Gamma to the repeat customers (x > 0) of a CLVSummary (or x, m_x columns);
        customers without repeat purchases carry no spend information and are left out."""
        if m_x is None:
            x, m = _column(data, "x"), _column(data, "m_x")
        else:
            x, m = np.asarray(data, dtype=np.float64), np.asarray(m_x, dtype=np.float64)
        w = None if weight is None else np.asarray(weight, dtype=np.float64)
        return GammaGammaModel(_core.GammaGammaModel.fit(x, m, w, **self._options))


# --- the strategy ---------------------------------------------------------------------------
def _repeat_value(profile) -> np.ndarray | None:
    """Net of the lines after each customer's first purchase day, from a daily spend series."""
    if profile is None or profile.report.period != "day":
        return None
    s = profile._core.series()
    offsets = np.asarray(s["offsets"])
    if len(offsets) == 0:
        return None
    first = np.asarray(profile._core.columns()["first_purchase"])
    counts = np.diff(offsets)
    owner = np.repeat(np.arange(len(counts)), counts)
    later = np.asarray(s["period"]) > first[owner]
    return np.bincount(owner[later], weights=np.asarray(s["net"])[later], minlength=len(counts))


def _clv_metrics(data, key, what):
    metrics = metrics_of(data, key, what)
    if "repeat_value" not in metrics.names:
        rv = _repeat_value(metrics.profile)
        if rv is not None:
            metrics.add("repeat_value", rv)
    return metrics


class CLV:
    """Lifetime value as a strategy (``tk.score``, policy files): fits a purchase model
    ("bg_nbd" or "pareto_nbd") and Gamma-Gamma, and applies p_alive, expected_purchases
    (over ``horizon`` units), expected_value and clv.

    On a profile: x = purchase_days - 1, t_x and T from tenure and recency (the calibration
    end is the profile's as_of - 1), in ``unit`` ("weeks" by default). The value per repeat
    purchase day is exact with a daily spend series (``tk.profile(..., period="day")``);
    otherwise the mean net value of all purchase days is used, and the model's
    ``value_basis`` says so.
    """

    def __init__(self, model: str = "bg_nbd", *, unit="weeks", horizon: float = 52, steps: int = 12,
                 discount_rate: float = 0.01, l2_penalty: float = 0.0, value_l2_penalty: float = 0.0):
        c = _core.CLVConfig()
        c.model = str(model)
        c.unit_days = _unit_days(unit)
        c.horizon = float(horizon)
        c.steps = int(steps)
        c.discount_rate = float(discount_rate)
        c.l2_penalty = float(l2_penalty)
        c.value_l2_penalty = float(value_l2_penalty)
        self._strategy = _core.CLVStrategy(c)  # validates
        self._repr = (f"CLV({model!r}, unit={unit!r}, horizon={horizon:g}, steps={steps}, "
                      f"discount_rate={discount_rate:g})")

    def fit(self, data, key: str | None = None) -> "CLVModel":
        """Fits the purchase model and the Gamma-Gamma value model to ``data`` (a Profile, or a
        keyed table with the metric columns, key column ``key``) and returns the frozen
        model."""
        return CLVModel(self._strategy.fit(_clv_metrics(data, key, "tierkit.CLV.fit").core))

    def fit_apply(self, data, key: str | None = None) -> Table:
        """``fit(data, key).apply(data, key)``: p_alive, expected purchases, expected value and
        clv for the customers the model was fitted on."""
        metrics = _clv_metrics(data, key, "tierkit")
        return self.fit(metrics).apply(metrics)

    def __repr__(self) -> str:
        return self._repr


class CLVModel(FrozenModel):
    """A fitted lifetime-value strategy: ``apply`` gives p_alive, expected_purchases,
    expected_value and clv per customer (null for customers without purchases)."""

    kind = "clv"
    _core_class = _core.CLVModel

    def __init__(self, core: _core.CLVModel):
        self._core = core

    def apply(self, data, key: str | None = None) -> Table:
        """p_alive, expected_purchases, expected_value and clv per customer in ``data`` (null
        for customers without a purchase)."""
        metrics = _clv_metrics(data, key, "tierkit.CLVModel.apply")
        return keyed_table(metrics, self._core.apply(metrics.core), "lifetime value")

    @property
    def purchases(self) -> _PurchaseModel:
        """The fitted purchase model (BGNBDModel or ParetoNBDModel)."""
        return ParetoNBDModel(self._core.pareto_nbd) if self._core.is_pareto else BGNBDModel(self._core.bg_nbd)

    @property
    def value(self) -> GammaGammaModel:
        """The fitted Gamma-Gamma spend model."""
        return GammaGammaModel(self._core.gamma_gamma)

    @property
    def value_basis(self) -> str:
        """The purchases the spend model was fitted on: "repeat purchase days" or "all purchase
        days"."""
        return self._core.value_basis

    @property
    def summary(self) -> Table:
        """Both models' parameters with standard errors and fit statistics, as a table."""
        return plain_table(self._core.summary(), "lifetime value models")

    def __repr__(self) -> str:
        c = self._core.config
        return (f"CLVModel({self.purchases!r}, {self.value!r}; horizon {c.horizon:g} units of "
                f"{c.unit_days:g} days in {c.steps} steps at {c.discount_rate:g} per step; value basis: "
                f"{self.value_basis})")

    def _repr_html_(self) -> str:
        return self.summary._repr_html_()


register_loader("bg_nbd", BGNBDModel.from_bytes)
register_loader("pareto_nbd", ParetoNBDModel.from_bytes)
register_loader("gamma_gamma", GammaGammaModel.from_bytes)
register_loader("clv", CLVModel.from_bytes)

__all__ = ["summary", "tracking", "Tracking", "CLVSummary", "BGNBD", "BGNBDModel", "ParetoNBD", "ParetoNBDModel",
           "GammaGamma", "GammaGammaModel", "CLV", "CLVModel", "NotConverged"]

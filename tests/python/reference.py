"""An independent, straightforward pandas computation of the profile, written from the
definitions in include/tierkit/profile.hpp and not from tierkit's code. Tests compare
tierkit against it."""
from __future__ import annotations

import numpy as np
import pandas as pd

EPOCH = pd.Timestamp("1970-01-01")


def day_numbers(times: pd.Series, tz: str = "UTC") -> pd.Series:
    """Calendar day numbers: aware timestamps in `tz`, naive ones and dates as they are."""
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        local = times.dt.tz_convert(tz).dt.tz_localize(None)
    else:
        local = pd.to_datetime(times)
    return ((local.dt.normalize() - EPOCH) // pd.Timedelta(days=1)).astype("int64")


def reference_profile(df: pd.DataFrame, *, customer="customer_id", time="time", amount="amount",
                      order=None, quantity=None, as_of=None, window_start=None,
                      tz="UTC") -> pd.DataFrame:
    d = pd.DataFrame({"c": df[customer].to_numpy(), "day": day_numbers(df[time], tz).to_numpy(),
                      "a": df[amount].astype("float64").to_numpy()})
    if order is not None:
        d["o"] = df[order].to_numpy()
    if quantity is not None:
        d["q"] = df[quantity].astype("float64").to_numpy()
    if window_start is not None:
        d = d[(d["day"] >= window_start) & (d["day"] < as_of)]
    if as_of is None:
        as_of = int(d["day"].max()) + 1
    buy = d[d["a"] >= 0]
    ret = d[d["a"] < 0]
    out = pd.DataFrame(index=pd.Index(np.sort(d["c"].unique()), name="customer"))
    out["first_purchase"] = buy.groupby("c")["day"].min()
    out["last_purchase"] = buy.groupby("c")["day"].max()
    out["recency"] = as_of - out["last_purchase"]
    out["tenure"] = as_of - out["first_purchase"]
    if order is not None:
        out["frequency"] = buy.groupby("c")["o"].nunique()
        out["returns"] = ret.groupby("c")["o"].nunique()
    else:
        out["frequency"] = buy.groupby("c").size()
        out["returns"] = ret.groupby("c").size()
    out["purchase_days"] = buy.groupby("c")["day"].nunique()
    # the rhythm of purchase days: distinct days per customer, their gaps
    days = buy[["c", "day"]].drop_duplicates().sort_values(["c", "day"])
    days["gap"] = days.groupby("c")["day"].diff()
    out["median_gap"] = days.groupby("c")["gap"].median()
    out["previous_purchase"] = days.groupby("c")["day"].nth(-2).set_axis(
        days.groupby("c").nth(-2)["c"].to_numpy())
    out["transactions"] = d.groupby("c").size()
    out["monetary"] = d.groupby("c")["a"].sum()
    out["gross_sales"] = buy.groupby("c")["a"].sum()
    out["returns_value"] = -ret.groupby("c")["a"].sum()
    for col in ("frequency", "returns", "purchase_days", "gross_sales", "returns_value"):
        out[col] = out[col].fillna(0)
    out["average_order_value"] = np.where(out["frequency"] > 0,
                                          out["monetary"] / out["frequency"].where(out["frequency"] > 0, 1),
                                          np.nan)
    if quantity is not None:
        out["quantity"] = d.groupby("c")["q"].sum()
    out.attrs["as_of"] = as_of
    return out


def reference_series(df: pd.DataFrame, *, customer="customer_id", time="time", amount="amount",
                     tz="UTC", freq="MS") -> pd.DataFrame:
    """Net spend per customer and calendar month (periods with lines only)."""
    local = day_numbers(df[time], tz)
    dates = EPOCH + pd.to_timedelta(local, unit="D")
    period = dates.dt.to_period("M").dt.start_time
    g = pd.DataFrame({"c": df[customer].to_numpy(), "p": period.to_numpy(),
                      "a": df[amount].astype("float64").to_numpy()})
    return g.groupby(["c", "p"], as_index=False)["a"].sum().sort_values(["c", "p"],
                                                                         ignore_index=True)


def compare(tk_profile, ref: pd.DataFrame, *, rtol=1e-9, atol=1e-6) -> None:
    """Assert that a tierkit Profile equals the reference, column by column."""
    got = tk_profile.to_pandas()
    assert list(got.index) == list(ref.index), "customer keys differ"

    def epoch_days(s):
        return (pd.to_datetime(s) - EPOCH) // pd.Timedelta(days=1)

    for col in ("first_purchase", "last_purchase"):
        g = epoch_days(got[col])
        pd.testing.assert_series_equal(g.astype("float64"), ref[col].astype("float64"),
                                       check_names=False, check_index=False)
    for col in ("recency", "tenure", "median_gap"):
        pd.testing.assert_series_equal(got[col].astype("float64"), ref[col].astype("float64"),
                                       check_names=False, check_index=False)
    pd.testing.assert_series_equal(epoch_days(got["previous_purchase"]).astype("float64"),
                                   ref["previous_purchase"].astype("float64"),
                                   check_names=False, check_index=False)
    for col in ("frequency", "returns", "purchase_days", "transactions"):
        np.testing.assert_array_equal(got[col].to_numpy(), ref[col].to_numpy().astype(np.int64),
                                      err_msg=col)
    for col in ("monetary", "gross_sales", "returns_value", "average_order_value"):
        np.testing.assert_allclose(got[col].to_numpy(dtype=float), ref[col].to_numpy(dtype=float),
                                   rtol=rtol, atol=atol, err_msg=col)
    if "quantity" in ref:
        np.testing.assert_allclose(got["quantity"].to_numpy(float), ref["quantity"].to_numpy(float),
                                   rtol=rtol, atol=atol)

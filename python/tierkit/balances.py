"""Average daily balances (月日均) per account and customer: the measure banks tier on.

    adb = tk.average_daily_balances(trans, account="account_id", time="date", value="balance")
    adb.to_pandas()                          # account, period_start, average_daily_balance, days
    cb = adb.by_customer(owners, account="account_id", customer="client_id")
    cb.latest()                              # one row per customer: the last period's average
    cb.wide()                                # customers x periods

Policies (include/tierkit/balances.hpp): the day's last balance carries over days without
events; before an account's first event it holds 0 (or its start balance, for movements);
a period averages over its days inside [from, through) — a partial last period over the
days it covers; accounts sum into customers through the mapping, optionally weighted by
asset type.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _core
from ._arrow import as_arrow, check_roles, key_array, one_array
from ._errors import threads_arg
from ._optional import require
from ._results import Table
from ._time import resolve_zone, to_day, valid_dates_arg


def _table(data, what: str) -> pa.Table:
    source = as_arrow(data, what)
    t = source.read_all() if isinstance(source, pa.RecordBatchReader) else source
    return t.combine_chunks()


def _capsules(t: pa.Table, name: str):
    col = t.column(name)
    return (name, one_array(col).__arrow_c_array__())


class _Series(Table):
    key_name: str
    """Long-form balances: key, period_start, average_daily_balance (+ days)."""

    def __init__(self, core, key_name: str, key_type: pa.DataType, title: str, with_days: bool):
        c = core.columns()
        counts = np.diff(c["offsets"])
        keys = key_array(core, key_type)
        idx = pa.array(np.repeat(np.arange(len(counts)), counts))
        cols = {key_name: keys.take(idx),
                "period_start": pa.array(c["period"]).view(pa.date32()),
                "average_daily_balance": pa.array(c["average"])}
        if with_days:
            cols["days"] = pa.array(c["days"])
        super().__init__(pa.table(cols), key_name, title)
        self._core = core
        self._key_type = key_type

    def __reduce__(self):
        raise TypeError(f"tierkit {type(self).__name__} does not pickle (it holds the core's balances for "
                        "by_customer); pickle its table instead: x.to_arrow()")

    def wide(self):
        """A pandas DataFrame: one row per key, one column per period."""
        require("pandas", f"{type(self).__name__}.wide()")
        df = self.to_pandas(index=False)
        return df.pivot(index=self.key_name, columns="period_start", values="average_daily_balance")

    def latest(self) -> Table:
        """One row per key: the average of the last period (column `adb`)."""
        t = self.to_arrow()
        last = t.column("period_start").to_numpy().max()
        mask = pa.array(t.column("period_start").to_numpy() == last)
        sel = t.filter(mask)
        return Table(pa.table({self.key_name: sel.column(self.key_name),
                               "adb": sel.column("average_daily_balance")}), self.key_name,
                     f"average daily balance of {last}")

    def mean(self) -> Table:
        """One row per key: the mean of its period averages (column `adb_mean`) and their
        coefficient of variation (column `adb_cv`, for stability measures: the population
        standard deviation over the absolute mean; null when the mean is 0)."""
        t = self.to_arrow()
        g = t.group_by(self.key_name, use_threads=False).aggregate(
            [("average_daily_balance", "mean"),
             ("average_daily_balance", "stddev", pc.VarianceOptions(ddof=0))])
        g = g.sort_by(self.key_name)
        mean = g.column("average_daily_balance_mean").to_numpy(zero_copy_only=False)
        std = g.column("average_daily_balance_stddev").to_numpy(zero_copy_only=False)
        with np.errstate(divide="ignore", invalid="ignore"):
            cv = np.where(mean != 0, std / np.abs(mean), np.nan)
        return Table(pa.table({self.key_name: g.column(self.key_name), "adb_mean": pa.array(mean),
                               "adb_cv": pa.array(cv)}), self.key_name, "mean average daily balance")


class AccountBalances(_Series):
    """Average daily balances per account and period (tk.average_daily_balances), with
    what was read, used and dropped in ``report``."""

    def __init__(self, core, key_name, key_type):
        super().__init__(core, key_name, key_type, "average daily balances per account", True)
        r = core.report
        self.report = {"rows_read": r["rows_read"], "rows_used": r["rows_used"],
                       "rows_dropped": r["rows_dropped"],
                       "dropped": [{"column": c, "problem": p, "rows": n} for c, p, n in r["dropped"]],
                       "from": str(np.datetime64(core.from_day, "D")),
                       "through": str(np.datetime64(core.through_day, "D"))}

    def by_customer(self, owners, *, account: str | None = None, customer: str = "customer_id",
                    asset_type: str | None = None, weights: dict | None = None) -> "CustomerBalances":
        """Sums accounts into customers through `owners` (one row per account: account,
        customer and optionally asset type); `weights` maps asset types to weights."""
        account = account or self.key_name
        t = _table(owners, "tierkit.AccountBalances.by_customer")
        roles: dict[str, str] = {"account": account, "customer": customer}
        if asset_type:
            roles["asset type"] = asset_type
        check_roles(t.schema, roles, "tierkit.AccountBalances.by_customer")
        core = _core.balances_by_customer(
            self._core, _capsules(t, account), _capsules(t, customer),
            _capsules(t, asset_type) if asset_type else None,
            {str(k): float(v) for k, v in (weights or {}).items()})
        return CustomerBalances(core, customer, t.schema.field(customer).type)


class CustomerBalances(_Series):
    """Average daily balances per customer and period: the customer's accounts summed
    (tk.balances_by_customer); accounts without events are counted in
    ``accounts_without_events``."""

    def __init__(self, core, key_name, key_type):
        super().__init__(core, key_name, key_type, "average daily balances per customer", False)
        self.accounts_without_events = core.accounts_without_events


def average_daily_balances(events, *, account: str = "account_id", time: str = "date",
                           value: str = "balance", input: str = "after_movement",
                           period: str = "month", start=None, through=None,
                           start_balances=None, time_zone="UTC",
                           on_invalid: str = "raise", valid_dates=None,
                           threads: int | None = None) -> AccountBalances:
    """Average daily balance per account and period.

    input: "after_movement" (the balance after each movement; the day's last closes it),
    "daily" (a closing balance per day) or "movements" (signed amounts from a start balance;
    ``start_balances`` = a table with the account column and a ``balance`` column).
    start / through: the first day averaged and the first day not averaged (default: the
    start of the first event's period; the day after the last event).
    valid_dates: the days an event may be dated, both included (default ("1900-01-01",
    "2200-12-31"), as in tk.profile); an event dated outside is an invalid row (on_invalid).
    threads: how many threads (default: all cores).
    """
    t = _table(events, "tierkit.average_daily_balances")
    check_roles(t.schema, {"account": account, "time": time, "value": value},
                "tierkit.average_daily_balances")
    sa = sb = None
    if start_balances is not None:
        s = _table(start_balances, "tierkit.average_daily_balances start_balances")
        check_roles(s.schema, {"account": account, "start balance": "balance"},
                    "tierkit.average_daily_balances start_balances")
        sa, sb = _capsules(s, account), _capsules(s, "balance")
    core = _core.average_daily_balances(
        _capsules(t, account), _capsules(t, time), _capsules(t, value), input, period,
        to_day(start, "tierkit.average_daily_balances: start"),
        to_day(through, "tierkit.average_daily_balances: through"), resolve_zone(time_zone),
        on_invalid, sa, sb, threads_arg(threads, "tierkit.average_daily_balances"),
        valid_dates_arg(valid_dates, "tierkit.average_daily_balances"))
    return AccountBalances(core, account, t.schema.field(account).type)


__all__ = ["average_daily_balances", "AccountBalances", "CustomerBalances"]

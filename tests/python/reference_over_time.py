"""Independent references for tiers over time, written plainly (pandas and loops), to check
tk.TierHistory and tk.TierLedger against.

- ``assessment_frames``: per assessment date, every customer seen before it with monetary
  and frequency (distinct orders) in the trailing window and recency from all history.
- ``replay``: the transition rules applied customer by customer, as the issue states them.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd


def months_before(day: dt.date, months: int) -> dt.date:
    m = day.year * 12 + day.month - 1 - months
    y, mo = divmod(m, 12)
    import calendar
    return dt.date(y, mo + 1, min(day.day, calendar.monthrange(y, mo + 1)[1]))


def assessment_frames(tx: pd.DataFrame, dates, window_months, *, customer="customer_id",
                      day="day", amount="amount", order="order_id") -> dict:
    """{date: DataFrame indexed by customer: monetary, frequency, recency (NaN: no purchase)}."""
    out = {}
    for d in dates:
        hist = tx[tx[day] < d]
        start = months_before(d, window_months) if window_months else dt.date(1, 1, 1)
        win = hist[hist[day] >= start]
        customers = np.sort(hist[customer].unique())
        f = pd.DataFrame(index=pd.Index(customers, name=customer))
        f["monetary"] = win.groupby(customer)[amount].sum().reindex(customers).fillna(0.0)
        buys = win[win[amount] >= 0]
        f["frequency"] = buys.groupby(customer)[order].nunique().reindex(customers).fillna(0).astype(int)
        last = hist[hist[amount] >= 0].groupby(customer)[day].max().reindex(customers)
        f["recency"] = [(d - x).days if isinstance(x, dt.date) else np.nan for x in last]
        first = hist[hist[amount] >= 0].groupby(customer)[day].min().reindex(customers)
        f["first_purchase"] = first
        out[d] = f
    return out


def replay(raw_by_date: dict, ranks: list, transitions: dict | None = None,
           protect_new_days: int = 0, first_purchase_by_date: dict | None = None) -> dict:
    """{date: {customer: held tier}} from {date: {customer: raw tier}}.

    Rules: the first assessment holds the raw tier. Moving up to tier T needs the raw tier at
    T or higher at upgrade_after(T) consecutive assessments (the highest such T wins).
    Leaving the held tier H needs the raw tier below H at downgrade_after(H) consecutive
    assessments (not counting those within protect_new_days of the first purchase); then
    the latest raw tier, or one step down. A customer absent from an assessment is assessed
    at the lowest tier.
    """
    transitions = transitions or {}
    rank = {t: i for i, t in enumerate(ranks)}

    def setting(tier, key, default):
        return transitions.get(tier, {}).get(key, default)

    state: dict = {}
    out = {}
    for d in sorted(raw_by_date):
        raws = raw_by_date[d]
        for c in list(raws) + [c for c in state if c not in raws]:
            raw = rank[raws.get(c, ranks[-1])]
            s = state.get(c)
            if s is None:
                state[c] = {"held": raw, "below": 0, "raws": [raw]}
                continue
            s["raws"].append(raw)
            held = s["held"]
            if raw < held:
                s["below"] = 0
                for t in range(raw, held):
                    need = setting(ranks[t], "upgrade_after", 1)
                    last = s["raws"][-need:]
                    if len(last) == need and all(r <= t for r in last):
                        s["held"] = t
                        break
            elif raw == held:
                s["below"] = 0
            else:
                fp = (first_purchase_by_date or {}).get(d, {}).get(c)
                protected = protect_new_days and fp is not None and (d - fp).days < protect_new_days
                if not protected:
                    s["below"] += 1
                    if s["below"] >= setting(ranks[held], "downgrade_after", 1):
                        s["held"] = raw if setting(ranks[held], "downgrade_to", "raw") == "raw" else held + 1
                        s["below"] = 0
        out[d] = {c: ranks[s["held"]] for c, s in state.items()}
    return out

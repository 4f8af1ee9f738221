"""Writes the seed corpus of the model-loader fuzz target (fuzz/corpus/model): one real
payload of every kind tierkit loads, so that the fuzzer starts from bytes each parser
accepts. Run it with an installed tierkit when a format changes:

    python fuzz/make_seeds.py

Each seed is the fuzz target's input: one byte naming the loader (its index in
fuzz_model.cpp's list of kinds; the target wraps the rest in a valid envelope), then the
payload (the envelope's bytes after its header). A few seeds keep the whole envelope
(first byte with bit 7 set) for the envelope's own checks. The policy-file corpus
(fuzz/corpus/policy) is hand-written text; the Arrow corpus (fuzz/corpus/arrow) is the 40 largest
inputs of a merged corpus of earlier runs (libFuzzer -merge=1), and regression-* files in
each corpus are inputs that once crashed.
"""
from __future__ import annotations

import struct
from pathlib import Path

import pyarrow as pa

import tierkit as tk
from tierkit import _core

KINDS = ["rfm", "abc", "segment_table", "lifecycle", "value_potential", "asset_bands",
         "tier_policy", "tier_ledger", "profile_state", "customer_history", "bg_nbd", "pareto_nbd",
         "gamma_gamma", "clv", "kmeans", "period_table", "profile", "cpp_grouped"]
# (cpp_grouped, the C++ grouped model, has no seed: Python saves its own "grouped" format.)
OUT = Path(__file__).parent / "corpus" / "model"


def payload(envelope: bytes) -> tuple[str, bytes]:
    """(kind, payload) of tierkit's envelope (serialization.hpp)."""
    kind_len = struct.unpack_from("<H", envelope, 12)[0]
    kind = envelope[14:14 + kind_len].decode()
    return kind, envelope[14 + kind_len + 16:]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    tx = tk.demo.transactions(customers=60, transactions=600, seed=3)
    prof = tk.profile(tx, **tk.demo.profile_roles())
    seeds: dict[str, bytes] = {}
    rfm = tk.RFM().fit(prof)
    seeds["rfm"] = rfm.to_bytes()
    seeds["segments"] = tk.Segments.preset("r_rfm").to_bytes()
    seeds["abc"] = tk.ABC().fit(prof).to_bytes()
    seeds["lifecycle"] = tk.Lifecycle().fit(prof).to_bytes()
    seeds["value_potential"] = tk.ValuePotential().fit(prof).to_bytes()
    customers = pa.table({"customer_id": pa.array(range(1, 11)),
                          "adb": pa.array([float(x) * 30_000 for x in range(10)]),
                          "age": pa.array([30 + x for x in range(10)]),
                          "card_spend": pa.array([float(x) * 900 for x in range(10)]),
                          "loan_balance": pa.array([float(x) * 5_000 for x in range(10)]),
                          "margin_balance": pa.array([float(x) * 2_000 for x in range(10)]),
                          "card_level": pa.array(["classic", "gold"] * 5)})
    seeds["asset_bands"] = tk.AssetBands.preset("chinese_retail").fit(customers, key="customer_id").to_bytes()
    policy = tk.TierPolicy([("Gold", "monetary >= 500 and frequency >= 3", {"owner": "KAM"}),
                            ("Silver", "recency <= 90 or monetary between 100 and 500")],
                           default="Bronze", default_attributes={"owner": "call centre"})
    seeds["tier_policy"] = policy.to_bytes()
    history = tk.TierHistory(policy, frequency="quarter", window_months=6,
                             transitions={"Gold": {"upgrade_after": 2, "downgrade_after": 2}})
    seeds["tier_ledger"] = history.run(tk.demo.transactions(customers=12, transactions=120, seed=5)).to_bytes()
    builder = tk.ProfileBuilder(**tk.demo.profile_roles())
    builder.update(tx.slice(0, 200))
    seeds["profile_state"] = builder._state.to_bytes()
    h = _core.CustomerHistory()
    h.add(prof._core)
    seeds["customer_history"] = h.to_bytes()
    # Lifetime-value models from a small repeat-buying summary (days as units, so that the
    # few customers repeat), k-means on the profile, a period table and a finished profile.
    cal = tk.demo.transactions(customers=80, transactions=2400, seed=11)
    roles = {k: v for k, v in tk.demo.profile_roles().items() if k in ("customer", "time", "amount", "order")}
    summary = tk.clv.summary(cal, **roles, calibration_end="2023-06-30", unit="days")
    seeds["bg_nbd"] = tk.BGNBD().fit(summary).to_bytes()
    seeds["pareto_nbd"] = tk.ParetoNBD().fit(summary).to_bytes()
    seeds["gamma_gamma"] = tk.GammaGamma().fit(summary).to_bytes()
    seeds["clv"] = tk.CLV(horizon=52).fit(tk.profile(cal, **roles, period="day")).to_bytes()
    seeds["kmeans"] = tk.KMeans(k=3, seed=1, names=["low", "mid", "high"]).fit(prof).to_bytes()
    # (period tables hold integer order, channel and category values: the demo's text
    # channels and categories are left out)
    period = tk.ProfileBuilder(**roles, quantity="quantity", as_of="2024-01-01", window_start="2023-01-01")
    period.update(tx)
    seeds["period_table"] = period._state.finish_period().to_bytes()
    seeds["profile"] = prof._core.to_bytes()
    for name, envelope in seeds.items():
        kind, body = payload(envelope)
        index = KINDS.index(kind)
        (OUT / f"{name}").write_bytes(bytes([index]) + body)
        if name in ("rfm", "tier_policy", "profile_state"):
            (OUT / f"{name}_envelope").write_bytes(bytes([0x80 | index]) + envelope)
        print(f"wrote {name}: {kind}, {len(body):,} payload bytes")


if __name__ == "__main__":
    main()

"""Atheris (libFuzzer for Python) target for policy files: their bytes through
tk.Tiering's reader (``Tiering.from_file`` without the file: UTF-8 decoding, the size
bound, YAML or JSON with repeated keys and bounded aliases refused, the file format, the
profile settings, the strategies and their configs, the tier rules), then a run of the
job on a few transactions and attributes.

Why atheris and not a C++ target: policy files are read only in Python (PyYAML or json,
then tierkit's own checks in _policy_text.py and tiering.py, then the rule parser in C++
through the bindings); a C++ target over the rule language alone would miss every step a
policy file goes through before its rules (fuzz/fuzz_expression.cpp covers the rules).

The contract checked: reading a policy's bytes gives a job or raises tk.PolicyError;
running a job gives tiers or raises a tierkit error (tk.TierkitError: InvalidInput,
SchemaError, PolicyError). Any other exception (TypeError, KeyError, RecursionError, ...)
is a finding: atheris saves the input as a crash artifact and stops.

The first byte picks JSON (odd) or YAML (even); the rest is the file. Seeds: fuzz/corpus/
policy (hand-written, valid and broken policies); dictionary: fuzz/policy.dict.

    python fuzz/fuzz_policy.py -max_total_time=60 -dict=fuzz/policy.dict CORPUS fuzz/corpus/policy

(scripts/test.sh runs it through CTest as fuzz.policy, TIERKIT_FUZZ_SECONDS.)
"""
import sys

import atheris

with atheris.instrument_imports(include=["tierkit", "yaml"]):
    import pyarrow as pa

    import tierkit as tk
    from tierkit.tiering import Tiering

_TX = pa.table({
    "customer_id": pa.array([1, 1, 2, 3, 3, 3, 4], pa.int64()),
    "time": pa.array([18000, 18100, 18050, 17900, 18200, 18300, 18310], pa.date32()),
    "amount": pa.array([120.0, -20.0, 5.5, 900.0, 30.0, 0.0, 75.0]),
    "order_id": pa.array([10, 11, 12, 13, 14, 15, 16], pa.int64()),
    "quantity": pa.array([1, 1, 2, 3, 1, 1, 2], pa.int64()),
    "channel": pa.array(["web", "shop", "web", "web", "app", "shop", "app"]),
})
_ATTRS = pa.table({
    "customer_id": pa.array([1, 2, 3, 5], pa.int64()),
    "adb": pa.array([60_000.0, 250_000.0, None, 10.0]),
    "age": pa.array([40, 65, 30, None], pa.int64()),
    "card_level": pa.array(["gold", "classic", None, "platinum"]),
    "card_spend": pa.array([1.0, 60_000.0, 0.0, 5.0]),
    "loan_balance": pa.array([0.0, 0.0, 400_000.0, 1.0]),
    "margin_balance": pa.array([0.0, 0.0, 0.0, 0.0]),
})


def test_one_input(data: bytes) -> None:
    if not data:
        return
    is_json = bool(data[0] & 1)
    try:
        job = Tiering._from_bytes(data[1:], "tierkit: the fuzzed policy", is_json, "fuzzed")
    except tk.PolicyError:
        return
    repr(job)
    try:
        job.run(_TX, _ATTRS, threads=1)
    except tk.TierkitError:
        pass


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

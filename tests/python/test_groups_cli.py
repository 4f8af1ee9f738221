"""tierkit tier --by and --households: the command line agrees with the Python API."""
from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

import tierkit as tk
from tierkit.cli import EXIT_DATA, EXIT_OK, EXIT_USAGE, main

POLICY = """\
tierkit: 1
name: branches
transactions: {as_of: 2024-07-01}
strategies:
  - abc: {column: monetary}
tiers:
  - {tier: Gold, when: "abc_class = 'A' and overall_abc_class = 'A'"}
  - {tier: Silver, when: "abc_class = 'A'"}
default: Bronze
"""

PLAIN_POLICY = POLICY.replace(" and overall_abc_class = 'A'", "")

HOUSEHOLD_POLICY = """\
tierkit: 1
tiers:
  - {tier: Gold, when: "monetary >= 500"}
  - {tier: Silver, when: "monetary >= 100"}
default: Bronze
"""


@pytest.fixture
def files(tmp_path):
    tx = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5, 6, 7, 8, 9],
                       "time": ["2024-06-01"] * 9,
                       "amount": [1.0, 2, 3, 4, 100, 200, 300, 400, 50]})
    attrs = pd.DataFrame({"customer_id": range(1, 10), "branch": list("XXXXYYYYZ")})
    members = pd.DataFrame({"customer_id": [1, 2, 3, 11, 8],
                            "household_id": ["a", "a", "b", "b", "b"]})
    paths = {}
    for name, df in (("tx", tx), ("attrs", attrs), ("members", members)):
        paths[name] = tmp_path / f"{name}.csv"
        df.to_csv(paths[name], index=False)
    paths["policy"] = tmp_path / "policy.yaml"
    paths["policy"].write_text(POLICY)
    paths["plain"] = tmp_path / "plain.yaml"
    paths["plain"].write_text(PLAIN_POLICY)
    paths["hpolicy"] = tmp_path / "households.yaml"
    paths["hpolicy"].write_text(HOUSEHOLD_POLICY)
    paths["out"] = tmp_path / "tiers.parquet"
    return paths, tx, attrs


def test_by_fits_every_strategy_within_the_groups(files, capsys):
    p, tx, attrs = files
    assert main(["tier", str(p["tx"]), "--policy", str(p["policy"]), "--attributes", str(p["attrs"]),
                 "--by", "branch", "--min-group-size", "2", "-o", str(p["out"]), "-q"]) == EXIT_OK
    printed = capsys.readouterr().out
    assert "abc within branch: 3 groups, 2 with their own model; 1 under min_size=2" in printed
    cli = pq.read_table(p["out"]).to_pandas().set_index("customer_id").tier.astype(str)
    prof = tk.profile(tx.assign(time=pd.to_datetime(tx.time, utc=True)), as_of="2024-07-01")
    scores = tk.Grouped(tk.ABC("monetary"), by="branch", min_size=2).fit_apply(prof, groups=attrs)
    api = tk.TierPolicy([("Gold", "abc_class = 'A' and overall_abc_class = 'A'"),
                         ("Silver", "abc_class = 'A'")], default="Bronze").assign(prof, scores)
    assert cli.to_dict() == api.to_pandas().tier.astype(str).to_dict()
    # Within X the two largest are A (4 crosses 80% after 3... by hand: 4, 3 then 2 crosses).
    assert cli[4] == "Silver" and cli[8] == "Gold"


def test_households_hand_tiers_back(files, capsys):
    p, tx, attrs = files
    assert main(["tier", str(p["tx"]), "--policy", str(p["plain"]), "--households", str(p["members"]),
                 "--household-measures", "monetary=sum", "--household-policy", str(p["hpolicy"]),
                 "-o", str(p["out"]), "-q"]) == EXIT_OK
    printed = capsys.readouterr().out
    assert "households: 2 (0 without members with data); 1 memberships of customers without " \
           "transactions" in printed
    out = pq.read_table(p["out"]).to_pandas().set_index("customer_id")
    # Own tiers: A over everyone (8, 7, 6) is Gold, the rest Bronze. Household a: 1 + 2 = 3
    # (Bronze); b: 3 + 400 = 403 (Silver; customer 11 has no transactions). Customer 3 is
    # raised to Silver, 8 keeps its Gold, 11 gets b's Silver as a member.
    assert out.loc[3, "tier"] == "Silver" and out.loc[3, "own_tier"] == "Bronze"
    assert out.loc[8, "tier"] == "Gold" and out.loc[8, "tier_source"] == "own"
    assert out.loc[11, "tier"] == "Silver" and out.loc[11, "tier_source"] == "household"
    assert out.loc[11, "household_id"] == "b"
    others = out.drop(index=[3, 11])
    assert (others.tier == others.own_tier).all()
    assert len(out) == 10
    assert "hand-back 'higher': 2 customers raised, 0 lowered" in printed


def test_options_that_do_not_fit_together(files, capsys):
    p, _, _ = files
    assert main(["tier", str(p["tx"]), "--policy", str(p["policy"]), "--by", "branch"]) == EXIT_USAGE
    assert "--attributes" in capsys.readouterr().err
    assert main(["tier", str(p["tx"]), "--policy", str(p["policy"]), "--min-group-size", "3"]) == EXIT_USAGE
    assert main(["tier", str(p["tx"]), "--policy", str(p["policy"]), "--households", "nope.csv"]) == EXIT_USAGE
    assert main(["tier", str(p["tx"]), "--policy", str(p["policy"]), "--attributes", str(p["attrs"]),
                 "--by", "region", "-q"]) == EXIT_DATA
    assert "'region'" in capsys.readouterr().err

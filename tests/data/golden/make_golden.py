"""Writes the golden files of the current format version. Run once per new format
version (python tests/data/golden/make_golden.py); never overwrite an older version's files:
tests/python/test_scoring.py checks that they still load."""
from pathlib import Path
import sys

import tierkit as tk

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
from test_scoring import golden_bank, golden_input  # noqa: E402

here = Path(__file__).resolve().parent
v = tk.FORMAT_VERSION
df = golden_input()
tk.RFM().fit(df).save(here / f"rfm_v{v}.tkm")
tk.ABC().fit(df).save(here / f"abc_v{v}.tkm")
tk.Segments.preset("english").save(here / f"segments_v{v}.tkm")
tk.Lifecycle(relative_to_gap=True, new_days=30).fit(df.assign(
    tenure=df["recency"] + 10, last_gap=2.0, median_gap=3.0)).save(here / f"lifecycle_v{v}.tkm")
tk.ValuePotential("monetary", "frequency").fit(df).save(here / f"value_potential_v{v}.tkm")
tk.AssetBands.preset().fit(golden_bank()).save(here / f"asset_bands_v{v}.tkm")
print(f"wrote the golden files of format version {v} to {here}")
tk.TierPolicy([("Gold", "monetary >= 100 and frequency >= 4", {"owner": "account manager"}),
               ("Silver", "recency <= 30 or monetary between 20 and 99.5"),
               ("Watch", "monetary is null or monetary < 0")],
              default="Bronze", default_attributes={"owner": "call centre"}).save(
    here / f"tier_policy_v{v}.tkm")

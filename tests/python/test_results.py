"""Results as users handle them: pandas types without sentinels, subscripting, pickling, and
time-zone-aware times cut in their own zone."""
from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import tierkit as tk


@pytest.fixture(scope="module")
def profile():
    t = tk.demo.transactions(300, 6000, seed=9)
    # A customer with only a return: no purchase, so no recency, no dates, no RFM scores.
    extra = pa.table({"customer_id": pa.array([999_999], pa.int64()),
                      "time": pa.array([t.column("time")[0].as_py()], t.schema.field("time").type),
                      "amount": pa.array([-5.0]), "order_id": pa.array([1], pa.int64())})
    t = pa.concat_tables([t.select(["customer_id", "time", "amount", "order_id"]), extra])
    return tk.profile(t, order="order_id")


def test_pandas_types_have_no_sentinels_and_no_floats_for_scores(profile):
    df = profile.to_pandas()
    assert df["first_purchase"].dtype.kind == "M" and pd.isna(df.loc[999_999, "first_purchase"])
    assert df["recency"].dtype == pd.Int32Dtype() and pd.isna(df.loc[999_999, "recency"])
    assert df["recency"].mean() > 0
    scores = tk.RFM().fit(profile).apply(profile).to_pandas()
    assert scores["r_score"].dtype == pd.Int32Dtype()  # not float64 with 111.0 codes
    assert pd.isna(scores.loc[999_999, "rfm_code"]) and scores["rfm_code"].dropna().iloc[0] >= 111
    assert isinstance(scores["segment"].dtype, pd.CategoricalDtype)
    arrow_backed = profile.to_pandas(types_mapper=pd.ArrowDtype)  # options pass through
    assert isinstance(arrow_backed["monetary"].dtype, pd.ArrowDtype)


def test_columns_read_without_sentinels(profile):
    recency = profile.column("recency")
    assert recency.dtype == np.float64 and np.isnan(recency).sum() == 1
    assert np.nanmean(recency) > 0
    last = profile.column("last_purchase")
    assert last.dtype == np.dtype("datetime64[D]") and np.isnat(last).sum() == 1
    assert profile["recency"].null_count == 1  # subscript: the Arrow column
    with pytest.raises(tk.SchemaError, match="did you mean 'recency'"):
        profile["recency_days"]


def test_profiles_scores_and_tiers_pickle(profile):
    again = pickle.loads(pickle.dumps(profile))
    assert again.to_arrow().equals(profile.to_arrow())
    assert again.report == profile.report
    assert tk.RFM().fit(again).apply(again).to_arrow().equals(tk.RFM().fit(profile).apply(profile).to_arrow())
    scores = tk.score(profile, tk.RFM(), tk.ABC())
    assert pickle.loads(pickle.dumps(scores)).to_arrow().equals(scores.to_arrow())
    tiers = tk.TierPolicy([("Top", "abc_class = 'A'")], default="Rest").assign(profile, scores, keep="monetary")
    back = pickle.loads(pickle.dumps(tiers))
    assert back.to_arrow().equals(tiers.to_arrow())
    assert back.summary().to_arrow().equals(tiers.summary().to_arrow())


def test_time_zone_aware_times_are_cut_in_their_own_zone():
    # 2024-01-31 17:30 UTC is 2024-02-01 01:30 in Shanghai.
    times = pd.to_datetime(["2024-01-31 17:30", "2024-01-15 08:00"]).tz_localize("UTC").tz_convert("Asia/Shanghai")
    df = pd.DataFrame({"customer_id": [1, 1], "time": times, "amount": [1.0, 2.0]})
    p = tk.profile(df)
    assert p.report.time_zone == "Asia/Shanghai"
    assert p.to_pandas()["last_purchase"].iloc[0] == pd.Timestamp(2024, 2, 1)
    utc = tk.profile(df, time_zone="UTC")  # time_zone still overrides
    assert utc.report.time_zone == "UTC"
    assert utc.to_pandas()["last_purchase"].iloc[0] == pd.Timestamp(2024, 1, 31)

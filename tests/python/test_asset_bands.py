"""Asset bands and stars: the Chinese retail preset on the real Berka customers against a
hand-written assignment; edges, missing values and several criteria; star schemes."""
from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import tierkit as tk
from tierkit import _core
from conftest import shared_data


def berka_customers():
    root = shared_data("berka-pkdd99")
    tr = pd.read_csv(root / "trans_19930101-19940330.asc", sep=";", dtype={"date": str})
    tr["date"] = pd.to_datetime(tr["date"], format="%y%m%d")
    disp = pd.read_csv(root / "disp.asc", sep=";")
    owners = disp[disp["type"] == "OWNER"]
    adb = tk.average_daily_balances(tr, account="account_id", time="date", value="balance")
    latest = adb.by_customer(owners, customer="client_id").latest().to_pandas()
    client = pd.read_csv(root / "client.asc", sep=";", dtype={"birth_number": str})
    yy, mm, dd = (client["birth_number"].str[i:i + 2].astype(int) for i in (0, 2, 4))
    born = pd.to_datetime(dict(year=1900 + yy, month=np.where(mm > 50, mm - 50, mm), day=dd))
    client["age"] = ((pd.Timestamp("1994-03-30") - born).dt.days // 365.25).astype(float)
    card = pd.read_csv(root / "card.asc", sep=";").rename(columns={"type": "card_type"}) \
        .merge(disp, on="disp_id")
    loan = pd.read_csv(root / "loan.asc", sep=";").merge(owners, on="account_id")
    df = latest.join(client.set_index("client_id")["age"], how="left")
    df = df.join(card.groupby("client_id")["card_type"].first().rename("card_level"), how="left")
    df = df.join(loan.groupby("client_id")["amount"].sum().rename("loan_balance"), how="left")
    df["card_spend"] = 0.0
    df["margin_balance"] = 0.0
    return df


def hand_written_bands(df: pd.DataFrame, scale: float) -> pd.Series:
    """The preset's rules, written out with np.select on thresholds scaled to the data."""
    adb, age = df["adb"], df["age"]
    gold = df["card_level"].isin(["gold"])  # Berka cards: junior, classic, gold
    other = (df["card_spend"] >= 50_000 * scale) | (df["loan_balance"] >= 300_000 * scale) | \
        (df["margin_balance"] >= 10_000 * scale) | gold
    return pd.Series(np.select(
        [adb >= 2_000_000 * scale, adb >= 200_000 * scale, adb >= 100_000 * scale,
         (adb >= 50_000 * scale) & (age < 60),
         ~((adb >= 50_000 * scale) & (age < 60)) & other],
        ["Private banking", "Wealth management", "Branch managed", "Branch staff",
         "Maintained by other criteria"], "Not maintained"), index=df.index)


def scaled_preset(scale: float) -> tk.AssetBands:
    """The preset's documented bands and criteria with every amount scaled (Berka balances
    are CZK of 1993: few reach the preset's amounts)."""
    bands = [{"label": "Private banking", "lower": 2_000_000 * scale},
             {"label": "Wealth management", "lower": 200_000 * scale},
             {"label": "Branch managed", "lower": 100_000 * scale},
             {"label": "Branch staff", "lower": 50_000 * scale, "conditions": [("age", "<", 60)]}]
    criteria = [{"name": "credit card spend", "column": "card_spend", "threshold": 50_000 * scale},
                {"name": "loan balance", "column": "loan_balance", "threshold": 300_000 * scale},
                {"name": "margin balance", "column": "margin_balance", "threshold": 10_000 * scale},
                {"name": "gold card or above", "column": "card_level", "threshold": 3}]
    # Berka's cards rank junior < classic < gold
    return tk.AssetBands(bands, criteria=criteria, levels={"card_level": ["junior", "classic", "gold"]})


@pytest.mark.parametrize("scale", [1.0, 0.5, 0.2])
def test_bands_on_berka_match_a_hand_written_assignment(scale):
    df = berka_customers()
    got = scaled_preset(scale).fit_apply(df, key="client_id").to_pandas()["asset_band"].astype(str)
    ref = hand_written_bands(df, scale)
    assert (got == ref.loc[got.index]).all()
    assert got.nunique() >= 3


def test_preset_edges_missing_values_and_several_criteria():
    df = pd.DataFrame({"customer_id": range(6),
                       "adb": [200_000, 199_999.99, 80_000, 80_000, -1_200, np.nan],
                       "age": [30, 30, np.nan, 59, 30, 30],
                       "card_spend": [0, 0, 0, 0, 80_000, 0], "loan_balance": [0, 0, 0, 0, 400_000, 0],
                       "margin_balance": 0.0, "card_level": ["classic", None, "gold", "classic", "black", "Gold"]})
    s = tk.AssetBands.preset().fit_apply(df).to_pandas()
    assert s["asset_band"].astype(str).tolist() == [
        "Wealth management", "Branch managed", "Maintained by other criteria", "Branch staff",
        "Maintained by other criteria", "Maintained by other criteria"]
    assert s["admitted_by"].astype(str).tolist()[2:] == ["gold card or above", "balance",
                                                         "credit card spend", "gold card or above"]
    assert s["criteria_met"].tolist()[4] == 3
    # A categorical (an Arrow dictionary) ranks as the same text does.
    categorical = tk.AssetBands.preset().fit_apply(df.assign(card_level=df["card_level"].astype("category")))
    assert categorical.to_arrow().equals(tk.AssetBands.preset().fit_apply(df).to_arrow())
    with pytest.raises(tk.InvalidInput, match="1 rows hold levels not in"):
        tk.AssetBands.preset().fit(df.assign(card_level=["tin"] + [None] * 5))
    # Owner roles are distinct labels (the preset's branch staff and pool share one); the
    # not maintained have none.
    roles = list(s["owner_role"].cat.categories)
    assert len(set(roles)) == len(roles) and roles.count("branch staff (网点员工)") == 1
    assert s["owner_role"].astype(str).tolist()[2:4] == ["branch staff (网点员工)"] * 2
    m = tk.AssetBands.preset().fit(df)
    assert pickle.loads(pickle.dumps(m)).apply(df).to_arrow().equals(m.apply(df).to_arrow())
    assert tk.load(m.to_bytes()).rules.to_arrow().num_rows == 5
    with pytest.raises(tk.InvalidInput, match="ordered from the highest"):
        tk.AssetBands([{"label": "a", "lower": 1}, {"label": "b", "lower": 2}])



def test_large_table_on_threads_matches_the_hand_written_assignment():
    # 300,000 customers: assigned in blocks on two threads; every band, both roles of the
    # criteria and missing values occur. The preset's rules written out must agree row by row.
    rng = np.random.default_rng(3)
    n = 300_000
    age = rng.integers(18, 86, n).astype(float)
    age[rng.random(n) < 0.02] = np.nan
    df = pd.DataFrame({"customer_id": np.arange(n),
                       "adb": np.round(rng.lognormal(np.log(30_000), 1.6, n), 2),
                       "age": age, "card_spend": np.round(rng.gamma(1.2, 20_000, n), 2),
                       "loan_balance": np.where(rng.random(n) < 0.15, 400_000.0, 0.0),
                       "margin_balance": 0.0,
                       "card_level": np.array(["classic", "gold"])[rng.integers(0, 2, n)]})
    got = tk.AssetBands.preset().fit_apply(df).to_pandas()["asset_band"].astype(str)
    adb = df["adb"]
    staff = (adb >= 50_000) & (df["age"] < 60)
    other = (df["card_spend"] >= 50_000) | (df["loan_balance"] >= 300_000) | (df["card_level"] == "gold")
    ref = np.select([adb >= 2_000_000, adb >= 200_000, adb >= 100_000, staff, ~staff & other],
                    ["Private banking", "Wealth management", "Branch managed", "Branch staff",
                     "Maintained by other criteria"], "Not maintained")
    assert (got.to_numpy() == ref).all()
    assert set(ref) == {"Private banking", "Wealth management", "Branch managed", "Branch staff",
                        "Maintained by other criteria", "Not maintained"}

def test_star_schemes():
    df = pd.DataFrame({"customer_id": [1, 2, 3], "accounts": [2, 0, 1], "adb": [90_000, 0, 3e6],
                       "adb_cv": [0.1, np.nan, 0.5], "wallet_share": [0.7, 0, 0.1], "years": [4, 0, 20]})
    rel = tk.RelationshipStars().apply(df).to_pandas()
    assert rel["relationship_stars"].tolist() == [5, 1, 6]
    pts = tk.PointsStars({"adb": 0.01, "years": 10}).apply(df).to_pandas()
    assert pts["star_points"].tolist() == [940, 0, 30200]
    assert pts["star_level_zh"].tolist() == ["四星级", "准星级", "六星级"]
    s = tk.score(df, tk.RelationshipStars(), tk.PointsStars({"adb": 0.01}))
    assert {"relationship_stars", "star_level"} <= set(s.column_names)


def test_text_levels_in_chunks_any_case_and_unicode_case_rank_as_lower_case_text():
    levels = {"tier": ["bronze", "gold", "émeraude"]}
    bands = [{"label": "top", "lower": 100}]
    criteria = [{"name": "emerald", "column": "tier", "threshold": 3},
                {"name": "gold", "column": "tier", "threshold": 2}]
    strategy = tk.AssetBands(bands, criteria=criteria, levels=levels)
    text = ["gold", "GOLD", "Émeraude", None, "bronze", "ÉMERAUDE", "Gold"]
    lower = [None if x is None else x.lower() for x in text]
    chunked = pa.table({"customer_id": pa.chunked_array([[1, 2, 3], [4, 5, 6, 7]]),
                        "adb": pa.chunked_array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]),
                        "tier": pa.chunked_array([text[:3], text[3:]])})
    want = strategy.fit_apply(pa.table({"customer_id": range(1, 8), "adb": [0.0] * 7, "tier": lower}))
    got = strategy.fit_apply(chunked)
    assert got.to_arrow().column("admitted_by").to_pylist() == \
        ["gold", "gold", "emerald", None, None, "emerald", "gold"]
    assert got.to_arrow().column("admitted_by").to_pylist() == want.to_arrow().column("admitted_by").to_pylist()
    with pytest.raises(tk.InvalidInput, match=r"column 'tier': 2 rows hold levels not in"):
        strategy.fit_apply(pa.table({"customer_id": [1, 2, 3], "adb": [0.0] * 3, "tier": ["tin", "GOLD", "TIN"]}))


def test_text_levels_in_ascii_chunks_rank_in_place_and_infinite_balances_band_at_the_ends():
    levels = {"tier": ["bronze", "gold"]}
    strategy = tk.AssetBands([{"label": "top", "lower": 100}, {"label": "mid", "lower": 10}],
                             criteria=[{"name": "gold", "column": "tier", "threshold": 2}], levels=levels)

    def chunk(k):
        return ["GOLD", "bronze", None, "Gold", "gold"][k % 5]  # ASCII case only: C++ ranks

    n = 12
    t = pa.table({"customer_id": pa.chunked_array([list(range(5)), list(range(5, n))]),
                  "adb": pa.chunked_array([[np.inf, -np.inf, 50.0, 5.0, np.nan],
                                           [100.0, 9.99, 10.0, 0.0, 0.0, 0.0, 0.0]]),
                  "tier": pa.chunked_array([[chunk(k) for k in range(5)], [chunk(k) for k in range(5, n)]])})
    got = strategy.fit_apply(t).to_arrow()
    pool, out = "Maintained by other criteria", "Not maintained"
    # inf: the top band; -inf, NaN and balances below every band: the criteria (gold or above)
    assert got.column("asset_band").to_pylist() == [
        "top", out, "mid", pool, pool, "top", out, "mid", pool, pool, pool, out]
    assert got.column("admitted_by").to_pylist() == [
        "balance", None, "balance", "gold", "gold", "balance", None, "balance", "gold", "gold", "gold", None]
    ranks, unknown = _core.rank_levels([c.__arrow_c_array__() for c in t.column("tier").chunks], ["bronze", "gold"])
    assert unknown == 0 and np.isnan(ranks[[2, 7]]).all()
    assert ranks[[0, 1, 3, 4, 5, 6, 8, 9, 10, 11]].tolist() == [2, 1, 2, 2, 2, 1, 2, 2, 2, 1]


def test_dictionary_levels_rank_through_the_dictionary_as_the_texts_do():
    # Categorical levels are ranked entry by entry and taken by index: the same answers as
    # the texts themselves, across chunks with their own dictionaries, null rows and null
    # entries, case, an unknown entry no row uses (no error) and one a row uses (named).
    levels = {"tier": ["bronze", "gold", "émeraude"]}
    strategy = tk.AssetBands([{"label": "top", "lower": 100}],
                             criteria=[{"name": "emerald", "column": "tier", "threshold": 3},
                                       {"name": "gold", "column": "tier", "threshold": 2},
                                       {"name": "any", "column": "tier", "threshold": 1}],
                             levels=levels)  # "any" tells a null (no rank) from bronze (1)

    def dictionary(indices, entries):
        return pa.DictionaryArray.from_arrays(pa.array(indices, pa.int8()), pa.array(entries, pa.string()))

    def same_as_texts(chunks):
        texts = [v for c in chunks for v in c.to_pylist()]
        base = {"customer_id": list(range(len(texts))), "adb": [0.0] * len(texts)}
        got = strategy.fit_apply(pa.table({**base, "tier": pa.chunked_array(chunks)})).to_arrow()
        want = strategy.fit_apply(pa.table({**base, "tier": pa.array(texts, pa.string())})).to_arrow()
        assert got.equals(want)
        return got.column("admitted_by").to_pylist()

    # ASCII case, null rows, a null entry (None) and an entry no row uses ("tin"): ranked
    # through the dictionaries.
    ascii_chunks = [dictionary([0, 1, None, 2, 3, 0], ["gold", "GOLD", "bronze", None]),
                    dictionary([1, 2, 1], ["tin", "Gold", "bronze"]),
                    dictionary([0, 0], ["émeraude"])]
    from tierkit.asset_bands import _ranks_by_dictionary
    assert _ranks_by_dictionary(pa.chunked_array(ascii_chunks), levels["tier"]) is not None
    assert same_as_texts(ascii_chunks) == [
        "gold", "gold", None, "any", None, "gold", "gold", "any", "gold", "emerald", "emerald"]
    # A used entry known only in Unicode lower case: the texts' path, same answers.
    unicode_chunks = [dictionary([1, 0], ["gold", "ÉMERAUDE"])]
    assert _ranks_by_dictionary(pa.chunked_array(unicode_chunks), levels["tier"]) is None
    assert same_as_texts(unicode_chunks) == ["emerald", "gold"]
    used = pa.chunked_array([dictionary([0, 1], ["gold", "tin"])])
    with pytest.raises(tk.InvalidInput, match=r"column 'tier': 1 rows hold levels not in .*'tin'"):
        strategy.fit_apply(pa.table({"customer_id": [1, 2], "adb": [0.0, 0.0], "tier": used}))


def test_a_model_with_text_levels_of_its_own_keeps_them_through_bytes_files_and_pickle(tmp_path):
    # Custom levels rank "junior" below "classic": a loaded model that fell back to the
    # default card levels would refuse "junior" (or rank the levels differently).
    levels = {"card_level": ["junior", "classic", "gold"]}
    strategy = tk.AssetBands([{"label": "top", "lower": 100}],
                             criteria=[{"name": "card", "column": "card_level", "threshold": 2}],
                             levels=levels)
    data = pa.table({"customer_id": [1, 2, 3], "adb": [0.0, 0.0, 500.0],
                     "card_level": ["junior", "classic", "gold"]})
    model = strategy.fit(data)
    want = model.apply(data).to_arrow()
    path = tmp_path / "bands.tkm"
    model.save(path)
    for loaded in (tk.AssetBandModel.from_bytes(model.to_bytes()), pickle.loads(pickle.dumps(model)),
                   tk.load(path)):
        assert loaded == model
        assert loaded.apply(data).to_arrow().equals(want)
    assert want.column("admitted_by").to_pylist() == [None, "card", "balance"]
    # The default card levels keep the plain format.
    plain = tk.AssetBands([{"label": "top", "lower": 100}]).fit(data.drop_columns(["card_level"]))
    assert _core.envelope_kind(plain.to_bytes()) == "asset_bands"
    assert tk.AssetBandModel.from_bytes(plain.to_bytes()) == plain


def test_damaged_text_levels_in_a_model_give_format_error():
    model = tk.AssetBands([{"label": "top", "lower": 100}], levels={"tier": ["a", "b"]}).fit(
        pa.table({"customer_id": [1], "adb": [0.0], "tier": ["a"]}))
    core = model._core.to_bytes()
    for levels in (b"{", b'{"tier": [1]}', b"[]"):
        data = _core.wrap_envelope("asset_bands_levels", len(core).to_bytes(8, "little") + core + levels)
        with pytest.raises(tk.FormatError):
            tk.AssetBandModel.from_bytes(data)

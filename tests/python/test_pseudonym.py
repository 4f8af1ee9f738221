"""Keyed pseudonyms: tk.pseudonymise / tk.reidentify, and the command line's --pseudonymise,
--key-table and --columns. Pseudonymised outputs go back to the originals through the key
table only, and no raw id appears in them."""
from __future__ import annotations

import hashlib
import hmac

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

import tierkit as tk
from tierkit import _core
from tierkit.cli import EXIT_OK, EXIT_USAGE, main

KEY = bytes(range(32))


def reference(key: bytes, ident) -> str:
    """The pseudonym by Python's own hmac: the id's decimal text or UTF-8 bytes."""
    return hmac.new(key, str(ident).encode(), hashlib.sha256).hexdigest()[:32]


def test_hmac_sha256_gives_the_rfc_4231_vector_and_pythons_answer():
    assert _core.hmac_sha256(b"Jefe", b"what do ya want for nothing?").hex() == \
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    key, message = bytes(131 * [0xAA]), b"Test Using Larger Than Block-Size Key - Hash Key First"
    assert _core.hmac_sha256(key, message) == hmac.new(key, message, hashlib.sha256).digest()


def test_pseudonyms_replace_the_ids_and_the_key_table_leads_back():
    ids = [42, 7, 42, None, -3, 10**15]
    t = pa.table({"customer_id": pa.array(ids, pa.int64()), "monetary": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    out, keys = tk.pseudonymise(t, key=KEY, columns=["customer_id"])
    got = out.column("customer_id").to_pylist()
    assert got == [None if i is None else reference(KEY, i) for i in ids]
    assert out.column("monetary").equals(t.column("monetary"))        # the rest as it was
    assert out.schema.field("customer_id").type == pa.string()
    # No raw id survives in the pseudonymised column.
    assert not {str(i) for i in ids if i is not None} & set(filter(None, got))
    # The key table: one row per distinct id, ordered by pseudonym, ids of their own type.
    assert keys.column_names == ["pseudonym", "original"]
    assert keys.num_rows == 4 and keys.schema.field("original").type == pa.int64()
    assert keys.column("pseudonym").to_pylist() == sorted(keys.column("pseudonym").to_pylist())
    assert tk.reidentify(out, keys, columns=["customer_id"]).equals(t)
    # Another key: unrelated pseudonyms, and this key table cannot read them.
    other, _ = tk.pseudonymise(t, key=KEY[::-1])
    assert not set(filter(None, other.column("customer_id").to_pylist())) & set(filter(None, got))
    with pytest.raises(tk.InvalidInput, match="5 rows of column 'customer_id' hold pseudonyms "
                       "the key table does not have"):
        tk.reidentify(other, keys)


def test_an_integer_id_and_its_text_are_one_id_and_dictionaries_and_views_read_through():
    ints = pa.table({"c": pa.array([42, 5], pa.int32())})
    texts = pa.table({"c": pa.array(["42", "05"]).dictionary_encode()})
    views = pa.table({"c": pa.array(["42", "客户 5"], pa.string_view())})
    a = tk.pseudonymise(ints, key=KEY, columns="c")[0].column("c").to_pylist()
    b = tk.pseudonymise(texts, key=KEY, columns="c")[0].column("c").to_pylist()
    c = tk.pseudonymise(views, key=KEY, columns="c")[0].column("c").to_pylist()
    assert a[0] == b[0] == c[0] == reference(KEY, 42)
    assert b[1] == reference(KEY, "05") != a[1] == reference(KEY, 5)  # "05" is another id
    assert c[1] == reference(KEY, "客户 5")


def test_several_columns_share_one_key_table():
    t = pa.table({"customer_id": ["a", "b"], "referrer": ["b", None], "x": [1, 2]})
    out, keys = tk.pseudonymise(t, key=KEY, columns=["customer_id", "referrer"])
    assert out.column("referrer")[0] == out.column("customer_id")[1]
    assert keys.num_rows == 2
    assert tk.reidentify(out, keys, columns=["customer_id", "referrer"]).equals(t)


def test_pseudonymise_refuses_short_keys_missing_columns_and_non_ids():
    t = pa.table({"customer_id": [1, 2], "amount": [1.5, 2.5]})
    with pytest.raises(tk.InvalidInput, match="the key has 15 bytes; at least 16 are needed"):
        tk.pseudonymise(t, key=b"k" * 15)
    tk.pseudonymise(t, key="k" * 16)                                    # text: its UTF-8 bytes
    with pytest.raises(tk.SchemaError, match="no column 'client' to pseudonymise"):
        tk.pseudonymise(t, key=KEY, columns=["client"])
    with pytest.raises(tk.SchemaError, match="column 'amount' holds double; ids to pseudonymise"):
        tk.pseudonymise(t, key=KEY, columns=["amount"])


@pytest.fixture
def files(tmp_path):
    t = tk.demo.transactions(200, 3000, seed=11)
    src = tmp_path / "tx.csv"
    pcsv.write_csv(t, src)
    keyfile = tmp_path / "keyfile"
    keyfile.write_bytes(KEY)
    return t, src, keyfile


def test_profile_output_pseudonymised_with_only_the_columns_asked_for(files, tmp_path, capsys):
    t, src, keyfile = files
    out, table = tmp_path / "p.csv", tmp_path / "keys.parquet"
    code = main(["profile", str(src), "-o", str(out), "--columns", "customer_id,monetary,recency",
                 "--pseudonymise", str(keyfile), "--key-table", str(table)])
    assert code == EXIT_OK
    written = pcsv.read_csv(out, convert_options=pcsv.ConvertOptions(
        column_types={"customer_id": pa.string()}))
    assert written.column_names == ["customer_id", "monetary", "recency"]
    text = out.read_text()
    ids = {str(i) for i in pa.compute.unique(t.column("customer_id")).to_pylist()}
    assert all(len(v) == 32 for v in written.column("customer_id").to_pylist())
    assert not ids & set(written.column("customer_id").to_pylist())
    assert not any(f"\n{i}," in text for i in ids)                     # no raw id at a line start
    # Back through the key table: the profile of the original file, as the CLI read it
    # (its customer ids are all integers: read as integers).
    back = tk.reidentify(written, pq.read_table(table), columns="customer_id")
    assert pq.read_table(table).schema.field("original").type == pa.int64()
    want = tk.profile(pcsv.read_csv(src)).to_arrow()
    got = {r["customer_id"]: r["monetary"] for r in back.to_pylist()}
    assert got == {r["customer_id"]: r["monetary"] for r in want.to_pylist()}
    assert "pseudonyms and their customer ids" in capsys.readouterr().out


def test_tier_output_pseudonymised(files, tmp_path):
    t, src, keyfile = files
    out = tmp_path / "tiers.parquet"
    policy = tk.tiering.__file__.replace("tiering.py", "policies/demo.yaml")
    assert main(["tier", str(src), "--policy", policy, "-o", str(out), "-q",
                 "--pseudonymise", str(keyfile), "--columns", "customer_id,tier"]) == EXIT_OK
    written = pq.read_table(out)
    assert written.column_names == ["customer_id", "tier"]
    ids = set(written.column("customer_id").to_pylist())
    assert ids == {reference(KEY, i) for i in pa.compute.unique(t.column("customer_id")).to_pylist()}


@pytest.mark.parametrize("extra, message", [
    (["--columns", "customer_id,nope"], "--columns names 'nope', which the output does not have"),
    (["--pseudonymise", "SHORT"], "the key has 5 bytes; at least 16 are needed"),
    (["--pseudonymise", "MISSING"], "cannot read the key file"),
    (["--key-table", "k.csv"], "--key-table comes with --pseudonymise KEYFILE"),
])
def test_output_options_that_do_not_fit_exit_2(files, tmp_path, capsys, extra, message):
    _, src, _ = files
    (tmp_path / "SHORT").write_bytes(b"short")
    extra = [str(tmp_path / e) if e in ("SHORT", "MISSING", "k.csv") else e for e in extra]
    assert main(["profile", str(src), "-o", str(tmp_path / "p.csv"), *extra]) == EXIT_USAGE
    assert message in capsys.readouterr().err
    assert main(["profile", str(src), "--columns", "monetary"]) == EXIT_USAGE   # without -o

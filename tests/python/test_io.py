"""tierkit._io: how the command line reads files. Key columns become integers only where
every value is a canonically written integer; a stream that learns otherwise after its
first batch is read again as text, and keys of transactions and attributes are made one
kind."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import tierkit._io as tio
from tierkit.cli import EXIT_OK, main


@pytest.mark.parametrize("values, integers", [
    (["1", "42", "-7", "0", None], True),
    (["9223372036854775807"], True),
    (["9223372036854775808"], False),          # beyond 64 bits
    (["42", "00042"], False),                  # a leading zero: "00042" is not 42
    (["-0"], False), (["-01"], False),
    (["42", "C42"], False), (["4.0"], False), (["+4"], False), ([" 4"], False),
])
def test_integer_keys(values, integers):
    got = tio.integer_keys(pa.array(values, pa.string()))
    assert (got is not None) == integers
    if integers:
        assert got.to_pylist() == [None if v is None else int(v) for v in values]


def test_integer_keys_leave_other_types_alone():
    assert tio.integer_keys(pa.array([1, 2])) is None


def _csv(path, ids, orders=None):
    lines = ["customer_id,time,amount,order_id"]
    for i, c in enumerate(ids):
        lines.append(f"{c},2024-01-{1 + i % 28:02d},{10 + i % 7}.5,{orders[i] if orders else i}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_read_table_keys(tmp_path):
    t = tio.read_table(_csv(tmp_path / "a.csv", [1, 2, 3]), text_columns=["customer_id", "order_id"])
    assert t.schema.field("customer_id").type == pa.int64()
    t = tio.read_table(_csv(tmp_path / "b.csv", ["1", "002", "3"]), text_columns=["customer_id"])
    assert t.column("customer_id").to_pylist() == ["1", "002", "3"]
    t = tio.read_table(tmp_path / "a.csv", text_columns=["customer_id"], keys_as_text=True)
    assert t.column("customer_id").to_pylist() == ["1", "2", "3"]


def test_stream_decides_on_the_first_batch(tmp_path, monkeypatch):
    monkeypatch.setattr(tio, "CSV_BLOCK_BYTES", 256)
    ids = list(range(1, 60)) + ["00042"] + list(range(60, 80))
    path = _csv(tmp_path / "t.csv", ids)
    reader = tio.open_batches(path, text_columns=["customer_id"])
    assert reader.schema.field("customer_id").type == pa.int64()
    with pytest.raises(tio.KeysNotIntegers, match=r"column 'customer_id' holds integers in its "
                                                  r"first rows but text from about row \d+"):
        reader.read_all()
    text = tio.open_batches(path, text_columns=["customer_id"], keys_as_text=True).read_all()
    assert "00042" in text.column("customer_id").to_pylist()


def test_tier_reads_again_as_text(tmp_path, monkeypatch, capsys):
    """Integers in the first block, '00042' later: the tiers keep '00042' apart from '42'."""
    monkeypatch.setattr(tio, "CSV_BLOCK_BYTES", 256)
    ids = [i % 50 + 1 for i in range(200)] + ["00042"] + [7] * 20
    path = _csv(tmp_path / "t.csv", ids)
    policy = tmp_path / "p.yaml"
    policy.write_text("tierkit: 1\ntransactions: {customer: customer_id, time: time, amount: amount, "
                      "order: order_id}\ntiers:\n  - {tier: Gold, when: 'monetary >= 100'}\ndefault: Bronze\n")
    out = tmp_path / "tiers.parquet"
    assert main(["tier", str(path), "--policy", str(policy), "-o", str(out)]) == EXIT_OK
    assert "reading t.csv again with its keys as text" in capsys.readouterr().err
    keys = pq.read_table(out).column("customer_id").to_pylist()
    assert len(keys) == 51 and "00042" in keys and "42" in keys


@pytest.mark.parametrize("tx_ids, attr_ids", [
    ([1, 2, 3], ["C1", "2", "3"]),        # transactions integers, attributes text
    (["C1", "2", "3"], [1, 2, 3]),        # transactions text, attributes integers
    ([1, 2, 3], [1, 2, 3]),
])
def test_tier_joins_attributes_of_either_kind(tmp_path, tx_ids, attr_ids, capsys):
    tx = _csv(tmp_path / "t.csv", tx_ids)
    attrs = tmp_path / "a.csv"
    attrs.write_text("customer_id,age\n" + "".join(f"{c},{30 + i * 20}\n" for i, c in enumerate(attr_ids)))
    policy = tmp_path / "p.yaml"
    policy.write_text("tierkit: 1\ntransactions: {customer: customer_id, time: time, amount: amount}\n"
                      "tiers:\n  - {tier: Senior, when: 'age >= 50'}\ndefault: Other\n")
    out = tmp_path / "tiers.parquet"
    assert main(["tier", str(tx), "--policy", str(policy), "--attributes", str(attrs),
                 "-o", str(out)]) == EXIT_OK
    got = dict(zip(*pq.read_table(out).select(["customer_id", "tier"]).to_pydict().values()))
    assert {str(k): v for k, v in got.items()} == {str(tx_ids[0]): "Other", "2": "Senior", "3": "Senior"}

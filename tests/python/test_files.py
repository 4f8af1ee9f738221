"""Streaming transactions from files (tierkit._files): paths, directories, globs, lists,
pyarrow datasets with hive partitions; answers identical to the in-memory profile for any
split of the rows into files; bad files stop with an error naming the file."""
from __future__ import annotations

import datetime
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tierkit as tk
from tierkit._files import FileSource

ROLES = dict(customer="customer_id", time="time", amount="amount", order="order_id",
             quantity="quantity", channel="channel", category="category")
POLICY = Path(tk.__file__).parent / "policies" / "demo.yaml"


@pytest.fixture(scope="module")
def demo_tx() -> pa.Table:
    return tk.demo.transactions(400, 6_000, seed=7)


def _write_split(table: pa.Table, cuts, where: Path, fmt: str = "parquet", row_group=None) -> list[Path]:
    where.mkdir(parents=True, exist_ok=True)
    bounds = [0, *sorted(set(cuts)), table.num_rows]
    paths = []
    for i, (a, b) in enumerate(zip(bounds, bounds[1:])):
        if b <= a:
            continue
        part = table.slice(a, b - a)
        path = where / f"part-{i:03d}.{fmt}"
        if fmt == "parquet":
            pq.write_table(part, path, row_group_size=row_group)
        else:
            pcsv.write_csv(part, path)
        paths.append(path)
    return paths


def _same(a: tk.Profile, b: tk.Profile) -> None:
    assert a.to_arrow().equals(b.to_arrow())
    assert a.report == b.report
    assert a.has_spend_series == b.has_spend_series
    if a.has_spend_series:
        assert a.spend_series().equals(b.spend_series())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(0, 6_000), max_size=6), seed=st.integers(0, 2**32 - 1),
       shuffle=st.booleans())
def test_profile_of_files_equals_profile_in_memory_for_any_split(demo_tx, cuts, seed, shuffle):
    table = demo_tx.take(np.random.default_rng(seed).permutation(demo_tx.num_rows)) if shuffle else demo_tx
    want = tk.profile(table, **ROLES)
    with tempfile.TemporaryDirectory() as d:
        _write_split(table, cuts, Path(d), row_group=997)
        _same(tk.profile(d, **ROLES), want)


def test_paths_globs_lists_and_datasets_give_one_answer(demo_tx, tmp_path):
    want = tk.profile(demo_tx, **ROLES)
    paths = _write_split(demo_tx, [1000, 2500, 4000], tmp_path / "p")
    for source in (tmp_path / "p", str(tmp_path / "p" / "*.parquet"), [str(p) for p in paths],
                   paths, ds.dataset(str(tmp_path / "p"), format="parquet")):
        _same(tk.profile(source, **ROLES), want)
    one = tmp_path / "one.parquet"
    pq.write_table(demo_tx, one)
    _same(tk.profile(one, **ROLES), want)


def test_csv_files_give_the_in_memory_answer(demo_tx, tmp_path):
    from tierkit._io import read_table
    paths = _write_split(demo_tx, [2000, 3000], tmp_path / "c", fmt="csv")
    got = tk.profile(tmp_path / "c", **ROLES)
    # The reference: the same files read whole, as the command line reads one file.
    whole = pa.concat_tables([read_table(p, text_columns=["customer_id", "order_id"]) for p in paths])
    _same(got, tk.profile(whole, **ROLES))
    assert got.report.rows_read == demo_tx.num_rows


def test_progress_reports_bytes_over_all_files(demo_tx, tmp_path):
    paths = _write_split(demo_tx, [2000, 4000], tmp_path / "g")
    seen = []
    src = FileSource(tmp_path / "g", progress=lambda label, done, total: seen.append((label, done, total)))
    for _ in src.open(list(ROLES.values())):
        pass
    total = sum(p.stat().st_size for p in paths)
    assert all(t == total for _, _, t in seen)
    assert [d for _, d, _ in seen] == sorted(d for _, d, _ in seen)
    assert seen[-1][1] == total and seen[-1][0] == "read 3 of 3 files"


def test_policy_with_derived_columns_on_files(demo_tx, tmp_path):
    job = tk.Tiering.from_dict({"tierkit": 1, "transactions": {
        "customer": "customer_id", "time": "time", "amount": "net", "order": "order_id",
        "derive": {"net": "amount * quantity"}},
        "strategies": [{"abc": {"column": "monetary"}}],
        "tiers": [{"tier": "A", "when": "abc_class = 'A'"}], "default": "other"})
    _write_split(demo_tx, [2500], tmp_path / "v")
    want = job.run(demo_tx)
    got = job.run(tmp_path / "v")
    assert got.tiers.to_arrow().equals(want.tiers.to_arrow())
    _same(got.profile, want.profile)


def test_csv_keys_text_in_a_later_file_are_read_as_text_everywhere(tmp_path):
    a = pa.table({"customer_id": ["1", "2"], "time": ["2024-01-01", "2024-01-02"], "amount": [1.0, 2.0]})
    b = pa.table({"customer_id": ["C7", "1"], "time": ["2024-01-03", "2024-01-04"], "amount": [3.0, 4.0]})
    pcsv.write_csv(a, tmp_path / "a.csv")
    pcsv.write_csv(b, tmp_path / "b.csv")
    prof = tk.profile(tmp_path, customer="customer_id", time="time", amount="amount")
    keys = prof.to_arrow().column("customer_id")
    assert pa.types.is_string(keys.type) or pa.types.is_large_string(keys.type)
    assert sorted(keys.to_pylist()) == ["1", "2", "C7"]
    got = prof.to_arrow()
    assert got.column("monetary").to_pylist()[got.column("customer_id").to_pylist().index("1")] == 5.0


def test_hive_partitions_give_columns(demo_tx, tmp_path):
    ds.write_dataset(demo_tx, tmp_path / "hive", format="parquet", partitioning=["channel"],
                     partitioning_flavor="hive")
    want = tk.profile(demo_tx, **ROLES)
    # The directory: the channel column comes from the channel=... directories.
    got = tk.profile(tmp_path / "hive", **ROLES)
    assert got.to_arrow().column("channels").equals(want.to_arrow().column("channels"))
    assert got.to_arrow().drop_columns(["channels"]).equals(want.to_arrow().drop_columns(["channels"]))
    # A dataset: its partition types (dictionary-free text here) are used.
    dset = ds.dataset(tmp_path / "hive", format="parquet", partitioning="hive")
    got2 = tk.profile(dset, **ROLES)
    assert got2.to_arrow().equals(got.to_arrow())


def test_window_is_pushed_down_to_row_groups_with_the_same_answer(demo_tx, tmp_path):
    table = demo_tx.sort_by("time")
    _write_split(table, [3000], tmp_path / "w", row_group=250)
    days = pc.cast(table.column("time"), pa.date32())
    lo, hi = days[2000].as_py(), days[4000].as_py()
    want = tk.profile(table, **ROLES, window_start=lo, as_of=hi)
    got = tk.profile(tmp_path / "w", **ROLES, window_start=lo, as_of=hi)
    _same(got, want)
    assert got.report.rows_outside_window > 0
    src = FileSource(tmp_path / "w")
    reader = src.open(list(ROLES.values()), time_column="time", window=("time", _days(lo), _days(hi)))
    read = sum(b.num_rows for b in reader)
    assert src.skipped_rows > 0 and read + src.skipped_rows == table.num_rows


def _days(d) -> int:
    import datetime
    return (d - datetime.date(1970, 1, 1)).days


def test_no_push_down_past_a_null(tmp_path):
    t = pa.table({"customer_id": pa.array([1, None, 2], pa.int64()),
                  "time": pa.array([0, 1, 400], pa.date32()), "amount": [1.0, 2.0, 3.0]})
    pq.write_table(t, tmp_path / "n.parquet", row_group_size=2)
    with pytest.raises(tk.InvalidInput, match="customer_id"):
        tk.profile(tmp_path / "n.parquet", window_start="1971-01-01", as_of="1971-03-01")
    with pytest.raises(tk.InvalidInput, match="customer_id"):
        tk.profile(t, window_start="1971-01-01", as_of="1971-03-01")


def test_no_push_down_past_a_date_outside_valid_dates(tmp_path):
    # The row group of 1850 rows lies wholly before the window: skipped, its rows would pass
    # for outside the window; read, they are invalid, as in memory.
    t = pa.table({"customer_id": [1, 2, 3, 4], "amount": [1.0, 2.0, 3.0, 4.0],
                  "time": pa.array([datetime.date(1850, 1, 1), datetime.date(1850, 1, 2),
                                    datetime.date(2024, 1, 1), datetime.date(2024, 1, 2)], pa.date32())})
    pq.write_table(t, tmp_path / "v.parquet", row_group_size=2)
    window = dict(window_start="2023-01-01", as_of="2025-01-01")
    with pytest.raises(tk.InvalidInput, match="2 rows are dated before 1900-01-01"):
        tk.profile(tmp_path / "v.parquet", **window)
    got = tk.profile(tmp_path / "v.parquet", **window, on_invalid="drop")
    assert got.report == tk.profile(t, **window, on_invalid="drop").report
    assert got.report.rows_dropped == 2 and got.report.rows_outside_window == 0
    # With the 1850 dates valid, the group is pushed down and counted outside the window.
    wide = tk.profile(tmp_path / "v.parquet", **window, valid_dates=("1800-01-01", "2100-01-01"))
    assert wide.report.rows_outside_window == 2 and wide.report.rows_dropped == 0


def test_policy_run_on_files_equals_in_memory(demo_tx, tmp_path):
    job = tk.Tiering.from_file(POLICY)
    _write_split(demo_tx, [1500, 4500], tmp_path / "t")
    want = job.run(demo_tx, as_of="2025-01-01")
    got = job.run(tmp_path / "t", as_of="2025-01-01")
    assert got.tiers.to_arrow().equals(want.tiers.to_arrow())
    _same(got.profile, want.profile)


def test_builder_state_round_trips_as_bytes_and_merges_exactly(demo_tx):
    want = tk.profile(demo_tx, **ROLES)
    parts = []
    for i in range(3):
        b = tk.ProfileBuilder(**ROLES)
        b.update(demo_tx.slice(i * 2000, 2000))
        parts.append(tk.ProfileBuilder.from_bytes(b.to_bytes()))
    merged = pickle.loads(pickle.dumps(parts[2]))
    merged.merge(parts[0]).merge(parts[1])
    _same(merged.finish(), want)
    empty = tk.ProfileBuilder.from_bytes(tk.ProfileBuilder(**ROLES).to_bytes())
    empty.merge(parts[0])
    assert len(empty.finish()) == len(parts[0].finish())
    with pytest.raises(tk.FormatError):
        tk.ProfileBuilder.from_bytes(b"not a builder")
    with pytest.raises(tk.FormatError, match="truncated"):
        tk.ProfileBuilder.from_bytes(parts[0].to_bytes()[:40])


def test_merge_refuses_keys_of_another_type(demo_tx):
    a = tk.ProfileBuilder(**ROLES).update(demo_tx.slice(0, 10))
    text = demo_tx.slice(0, 10).set_column(0, "customer_id", pc.cast(demo_tx.column(0).slice(0, 10), pa.string()))
    b = tk.ProfileBuilder(**ROLES).update(text)
    with pytest.raises(tk.SchemaError, match="customer keys of type string"):
        a.merge(b)


# --- bad input -------------------------------------------------------------------------

def test_a_file_that_is_not_parquet_names_the_file(demo_tx, tmp_path):
    _write_split(demo_tx, [3000], tmp_path / "b")
    (tmp_path / "b" / "part-009.parquet").write_bytes(b"this is not parquet at all" * 10)
    with pytest.raises(tk.InvalidInput, match=r"part-009\.parquet.*\(3 of 3\) as Parquet"):
        tk.profile(tmp_path / "b", **ROLES)


def test_a_truncated_parquet_file_names_the_file(demo_tx, tmp_path):
    paths = _write_split(demo_tx, [3000], tmp_path / "b")
    data = paths[1].read_bytes()
    paths[1].write_bytes(data[: len(data) // 2])
    with pytest.raises(tk.InvalidInput, match="part-001.parquet"):
        tk.profile(tmp_path / "b", **ROLES)


def test_a_schema_change_between_files_names_both(demo_tx, tmp_path):
    paths = _write_split(demo_tx, [3000], tmp_path / "s")
    t = pq.read_table(paths[1])
    pq.write_table(t.set_column(2, "amount", pc.cast(t.column("amount"), pa.string())), paths[1])
    with pytest.raises(tk.SchemaError, match=r"part-001.*'amount' of type string.*part-000.*double"):
        tk.profile(tmp_path / "s", **ROLES)


def test_a_missing_column_in_one_file_names_it(demo_tx, tmp_path):
    paths = _write_split(demo_tx, [3000], tmp_path / "m")
    pq.write_table(pq.read_table(paths[1]).drop_columns(["order_id"]), paths[1])
    with pytest.raises(tk.SchemaError, match=r"part-001.parquet.*\(2 of 2\).*'order_id'"):
        tk.profile(tmp_path / "m", **ROLES)


def test_empty_directories_and_unknown_files(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(tk.InvalidInput, match="holds no Parquet or CSV file"):
        tk.profile(tmp_path / "empty")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(tk.InvalidInput, match="neither a Parquet file"):
        tk.profile(tmp_path / "x.json")
    with pytest.raises(tk.InvalidInput, match="matches no Parquet or CSV file"):
        tk.profile(str(tmp_path / "nothing-*.parquet"))
    with pytest.raises(tk.InvalidInput, match="no such file or directory"):
        tk.profile(tmp_path / "absent.parquet")


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "tierkit", *map(str, args)], capture_output=True, text=True)


def test_command_line_streams_directories_and_leaves_no_output_on_a_bad_file(demo_tx, tmp_path):
    _write_split(demo_tx, [2000, 4000], tmp_path / "d")
    out = tmp_path / "out" / "tiers.parquet"
    out.parent.mkdir()
    r = _cli("tier", tmp_path / "d", "--policy", POLICY, "--as-of", "2025-01-01", "-o", out, "-q")
    assert r.returncode == 0, r.stderr
    want = tk.Tiering.from_file(POLICY).run(demo_tx, as_of="2025-01-01").tiers.to_arrow()
    assert pq.read_table(out).equals(want)
    out.unlink()
    (tmp_path / "d" / "part-009.parquet").write_bytes(b"PAR1 garbage")
    r = _cli("tier", tmp_path / "d", "--policy", POLICY, "--as-of", "2025-01-01", "-o", out, "-q")
    assert r.returncode == 3
    assert "part-009.parquet" in r.stderr and "Traceback" not in r.stderr
    assert list(out.parent.iterdir()) == []
    r = _cli("profile", str(tmp_path / "d" / "part-00[01].parquet"), "--order", "order_id")
    assert r.returncode == 0 and "4,000 rows" in r.stdout, r.stderr
    (tmp_path / "e").mkdir()
    r = _cli("profile", tmp_path / "e")
    assert r.returncode == 2 and "holds no Parquet" in r.stderr and "Traceback" not in r.stderr


def test_file_source_carries_csv_options(tmp_path):
    (tmp_path / "a.tsv").write_text("customer_id\ttime\tamount\n1\t20240105\t10\n2\t20240106\t5\n")
    (tmp_path / "b.tsv").write_text("customer_id\ttime\tamount\n1\t20240201\t-3\n")
    prof = tk.profile(tk.FileSource(tmp_path, time_format="%Y%m%d"), customer="customer_id",
                      time="time", amount="amount")
    t = prof.to_arrow()
    assert t.column("customer_id").to_pylist() == [1, 2]
    assert t.column("monetary").to_pylist() == [7.0, 5.0]
    assert str(prof.report.as_of) == "2024-02-02"


def test_cdnow_streamed_with_the_calibration_window_pushed_down(tmp_path):
    """Real data: the CDNOW master file, written as time-sorted Parquet files of small row
    groups; the calibration window's profile and RFM cut points equal the in-memory ones."""
    import sys
    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import shared_data
    from test_cdnow import whitespace_table
    t = whitespace_table(shared_data("cdnow") / "CDNOW_master.txt", ["customer", "date", "cds", "amount"])
    t = t.sort_by("time")
    _write_split(t, [20_000, 45_000], tmp_path / "cdnow", row_group=2_000)
    kw = dict(customer="customer", quantity="cds", window_start="1997-01-01", as_of="1997-10-01")
    want, got = tk.profile(t, **kw), tk.profile(tmp_path / "cdnow", **kw)
    _same(got, want)
    assert got.report.rows_outside_window > 0
    assert tk.RFM().fit(got).to_bytes() == tk.RFM().fit(want).to_bytes()
    import datetime
    src = FileSource(tmp_path / "cdnow")
    window = ("time", _days(datetime.date(1997, 1, 1)), _days(datetime.date(1997, 10, 1)))
    read = sum(b.num_rows for b in src.open(["customer", "time", "amount", "cds"], window=window))
    assert read + src.skipped_rows == t.num_rows
    assert src.skipped_rows > t.num_rows // 4  # most rows after the window are never read


def test_a_dataset_that_is_not_of_files_is_refused(demo_tx):
    with pytest.raises(tk.InvalidInput, match="InMemoryDataset is not a dataset of files"):
        tk.profile(ds.dataset(demo_tx), **ROLES)

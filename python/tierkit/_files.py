"""Transactions in files: a path, a directory, a glob, a list of Parquet or CSV files, or a
``pyarrow.dataset.Dataset``, streamed as record batches.

Policy:

- A directory is read recursively; its Parquet (.parquet, .pq) and CSV (.csv, .tsv, and .gz,
  .bz2, .zst of them) files are taken in path order; files whose name starts with "." or "_"
  (_SUCCESS, .crc files that Spark and Hadoop leave) are skipped. Directory levels named
  ``key=value`` (hive partitions) give the column ``key`` to every file below them, when the
  file itself has no such column: an integer column when every value of that key is a
  canonically written integer, text otherwise. A ``pyarrow.dataset.Dataset`` is read
  fragment by fragment, its partition columns taken from the dataset.
- Only the columns a job reads are read. The first file fixes the stream's schema; a later
  file with a column of another type, or without a column the job reads, stops the stream
  with an error naming both files and the column. A file that cannot be read (not Parquet,
  corrupt, truncated) stops it with an error naming the file. Nothing is written by a job
  whose stream stopped (outputs are written only when complete, see ``_io``).
- CSV key columns follow ``_io``'s rule (integers when every value is a canonically written
  integer): the first file decides, a later file whose keys are text raises
  ``KeysNotIntegers`` and the caller reads the files again with keys as text.
- Window push-down (Parquet only, when a profile has an explicit window: both window_start
  and as_of given): a row group whose time statistics put it wholly outside the window by
  more than two days (the margin covers any time zone's cut of an instant into a day) is
  not read. Its rows are counted as read and outside the window, as the profile would have
  counted them. A row group is skipped only when its statistics show no nulls in any column
  the job reads, since a row with a null is invalid input before it is outside the window;
  nor when its time statistics reach within the margin of the edges of the profile's
  valid_dates, since a row dated outside them is invalid input too. A NaN amount in a
  skipped row group is not seen (Parquet statistics leave NaN out).
"""
from __future__ import annotations

import glob as _glob
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from ._errors import InvalidInput, SchemaError
from ._io import PARQUET_SUFFIXES, KeysNotIntegers, open_batches

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
_COMPRESSED = (".gz", ".bz2", ".zst")
BATCH_ROWS = 1 << 20
# Day margin of the push-down: a UTC instant's day in any zone is within one day of its UTC
# day; one more covers naive times written in a zone unknown here.
_MARGIN_DAYS = 2
_INT_TEXT = re.compile(r"-?(0|[1-9][0-9]{0,17})")


@dataclass
class _File:
    path: Path
    parquet: bool
    partition: dict = field(default_factory=dict)  # column -> value (from key=value dirs)
    size: int = 0


def _is_data_file(name: str) -> bool:
    n = name.lower()
    for c in _COMPRESSED:
        if n.endswith(c):
            n = n[: -len(c)]
            break
    return n.endswith(PARQUET_SUFFIXES) or n.endswith(CSV_SUFFIXES)


def _is_parquet(path: Path) -> bool:
    return path.name.lower().endswith(PARQUET_SUFFIXES)


def is_file_source(data) -> bool:
    """True for what FileSource reads: a path (str or os.PathLike), a list of them, or a
    pyarrow.dataset.Dataset."""
    if isinstance(data, FileSource):
        return True
    if isinstance(data, (str, os.PathLike)):
        return True
    if isinstance(data, (list, tuple)) and data and all(isinstance(d, (str, os.PathLike)) for d in data):
        return True
    mod = type(data).__module__
    return mod.startswith("pyarrow._dataset") or mod.startswith("pyarrow.dataset")


def _hive(parts: Sequence[str]) -> dict:
    out = {}
    for p in parts:
        if "=" in p:
            k, v = p.split("=", 1)
            if k:
                out[k] = v
    return out


def _walk(directory: Path) -> list[_File]:
    found = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")) or "=" in d)
        for name in sorted(files):
            if name.startswith((".", "_")) or not _is_data_file(name):
                continue
            path = Path(root) / name
            rel = path.relative_to(directory).parts[:-1]
            found.append(_File(path, _is_parquet(path), _hive(rel)))
    return found


def _resolve(source, what: str) -> list[_File]:
    if isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        if any(ch in text for ch in "*?["):
            matches = sorted(_glob.glob(text, recursive=True))
            files = [_File(Path(m), _is_parquet(Path(m))) for m in matches
                     if Path(m).is_file() and _is_data_file(Path(m).name)]
            if not files:
                raise InvalidInput(f"{what}: the pattern {text!r} matches no Parquet or CSV file")
            return files
        path = Path(text)
        if path.is_dir():
            files = _walk(path)
            if not files:
                raise InvalidInput(f"{what}: the directory {text!r} holds no Parquet or CSV file "
                                   "(.parquet, .pq, .csv, .tsv, optionally .gz/.bz2/.zst)")
            return files
        if not path.exists():
            raise InvalidInput(f"{what}: no such file or directory: {text!r}")
        if not _is_data_file(path.name):
            raise InvalidInput(f"{what}: {text!r} is neither a Parquet file (.parquet, .pq) nor a "
                               "CSV file (.csv, .tsv, optionally .gz/.bz2/.zst)")
        return [_File(path, _is_parquet(path))]
    if isinstance(source, (list, tuple)):
        files = []
        for s in source:
            files += _resolve(s, what)
        return files
    # a pyarrow.dataset.Dataset
    import pyarrow.dataset as ds
    fmt = getattr(source, "format", None)
    if not isinstance(source, ds.FileSystemDataset) or fmt is None:
        raise InvalidInput(f"{what}: a {type(source).__name__} is not a dataset of files; pass a "
                           "pyarrow.dataset.dataset(...) of Parquet or CSV files, or the table itself")
    if not isinstance(fmt, (ds.ParquetFileFormat, ds.CsvFileFormat)):
        raise InvalidInput(f"{what}: a dataset of {type(fmt).__name__} files; tierkit streams "
                           "Parquet and CSV datasets")
    files = []
    for frag in source.get_fragments():
        keys = ds.get_partition_keys(frag.partition_expression) or {}
        files.append(_File(Path(frag.path), isinstance(fmt, ds.ParquetFileFormat), dict(keys)))
    if not files:
        raise InvalidInput(f"{what}: the dataset holds no files")
    return files


def _partition_types(files: list[_File], dataset_schema: pa.Schema | None) -> dict:
    """column -> type of each hive partition key: the dataset's, else int64 when every value
    is a canonically written integer, text otherwise."""
    keys = {k for f in files for k in f.partition}
    out = {}
    for k in keys:
        if dataset_schema is not None and k in dataset_schema.names:
            out[k] = dataset_schema.field(k).type
            continue
        values = [f.partition[k] for f in files if k in f.partition]
        out[k] = pa.int64() if all(isinstance(v, str) and _INT_TEXT.fullmatch(v) for v in values) else pa.string()
    return out


class FileSource:
    """Files of transactions to stream (see the module's policy). Re-openable: each
    ``open`` reads the files again from the start.

    ``progress``: a callable taking (label, done, total) in bytes over all files.
    """

    def __init__(self, source, *, what: str = "tierkit", time_format: str | None = None,
                 delimiter: str | None = None, keys_as_text: bool = False,
                 progress: Callable[[str, int, int], None] | None = None):
        if isinstance(source, FileSource):
            self.__dict__.update(source.__dict__)
            return
        self.what = what
        self._dataset_schema = None if isinstance(source, (str, os.PathLike, list, tuple)) else source.schema
        self.files = _resolve(source, what)
        for f in self.files:
            try:
                f.size = f.path.stat().st_size
            except OSError as e:
                raise InvalidInput(f"{what}: cannot read {str(f.path)!r}: {e.strerror or e}") from None
        self._partition_types = _partition_types(self.files, self._dataset_schema)
        self.time_format, self.delimiter = time_format, delimiter
        self.keys_as_text = keys_as_text
        self.progress = progress
        self.skipped_rows = 0  # rows of row groups left out by the window push-down

    def __repr__(self) -> str:
        return f"FileSource({len(self.files)} files, {sum(f.size for f in self.files):,} bytes)"

    # --- one file ------------------------------------------------------------------------
    def _parquet(self, f: _File, columns: list[str], window, report) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
        import pyarrow.parquet as pq
        pf = pq.ParquetFile(f.path)
        names = pf.schema_arrow.names
        cols = [c for c in columns if c in names]
        schema = pa.schema([pf.schema_arrow.field(c) for c in cols])
        groups = list(range(pf.metadata.num_row_groups))
        if window is not None:
            groups = self._pushdown(pf, cols, groups, window)
        total = sum(pf.metadata.row_group(g).num_rows for g in groups) or 1

        def batches():
            done = 0
            if not groups:
                return
            for b in pf.iter_batches(batch_size=BATCH_ROWS, row_groups=groups, columns=cols):
                done += b.num_rows
                report(int(f.size * done / total))
                yield b
        return schema, batches()

    def _pushdown(self, pf, cols: list[str], groups: list[int], window) -> list[int]:
        time_col, lo, hi = window[:3]
        valid = window[3:] if len(window) == 5 else None  # (first, last) of valid_dates
        md = pf.metadata
        names = [md.schema.column(i).path for i in range(md.num_columns)]
        if time_col not in names:
            return groups
        ti = names.index(time_col)
        wanted = [names.index(c) for c in cols if c in names]
        ttype = pf.schema_arrow.field(time_col).type
        keep = []
        for g in groups:
            rg = md.row_group(g)
            st = rg.column(ti).statistics
            clean = all(rg.column(i).statistics is not None and rg.column(i).statistics.has_null_count
                        and rg.column(i).statistics.null_count == 0 for i in wanted)
            if st is None or not st.has_min_max or not clean:
                keep.append(g)
                continue
            try:
                dmin, dmax = (_day(pa.scalar(v, type=ttype)) for v in (st.min, st.max))
            except Exception:  # statistics of a type not understood here: read the group
                keep.append(g)
                continue
            implausible = valid is not None and (dmin < valid[0] + _MARGIN_DAYS or dmax > valid[1] - _MARGIN_DAYS)
            if (dmax < lo - _MARGIN_DAYS or dmin >= hi + _MARGIN_DAYS) and not implausible:
                self.skipped_rows += rg.num_rows
            else:
                keep.append(g)
        return keep

    def _csv(self, f: _File, columns: list[str], text_columns, time_column, keys_as_text, report):
        import pyarrow.csv as pcsv
        codec = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd"}.get(f.path.suffix.lower())
        delim = self.delimiter or ("\t" if ".tsv" in f.path.name.lower() else ",")
        # The header first: a column the file lacks may come from its partition directory.
        in_file = pcsv.open_csv(pa.input_stream(str(f.path), compression=codec),
                                parse_options=pcsv.ParseOptions(delimiter=delim)).schema.names
        cols = [c for c in columns if c in in_file]
        reader = open_batches(f.path, columns=cols, text_columns=text_columns, time_column=time_column,
                              time_format=self.time_format, delimiter=self.delimiter,
                              progress=lambda done, total: report(done), keys_as_text=keys_as_text)
        return reader.schema, iter(reader)

    # --- all files -----------------------------------------------------------------------
    def open(self, columns: Sequence[str], *, text_columns: Sequence[str | None] = (),
             time_column: str | None = None, window=None, keys_as_text: bool | None = None) -> pa.RecordBatchReader:
        """The files as one stream of batches of `columns` (in that order). `window`:
        (time column, first day, end day[, first valid day, last valid day]) for the
        push-down, or None."""
        columns = list(dict.fromkeys(c for c in columns if c))
        text_columns = [c for c in text_columns if c]
        as_text = self.keys_as_text if keys_as_text is None else keys_as_text
        self.skipped_rows = 0
        total = sum(f.size for f in self.files)
        n = len(self.files)
        first = self._open_one(0, columns, text_columns, time_column, window, as_text, 0, total)
        schema = first[0]

        def stream():
            before = 0
            for i in range(n):
                f = self.files[i]
                s, batches = first if i == 0 else self._open_one(i, columns, text_columns, time_column,
                                                                  window, as_text, before, total)
                if i > 0:
                    self._same_schema(schema, s, f, text_columns)
                try:
                    for b in batches:
                        yield self._conform(schema, b, f, text_columns)
                except (KeysNotIntegers, SchemaError, InvalidInput):
                    raise
                except (pa.ArrowException, OSError, ValueError) as e:
                    raise self._unreadable(i, e) from None
                before += f.size
                if self.progress:
                    self.progress(f"read {i + 1} of {n} files", before, total)
        return pa.RecordBatchReader.from_batches(schema, stream())

    def _open_one(self, i, columns, text_columns, time_column, window, as_text, before, total):
        f = self.files[i]
        n = len(self.files)

        def report(done):
            if self.progress:
                self.progress(f"reading {f.path.name} ({i + 1} of {n} files)", before + done, total)
        try:
            if f.parquet:
                schema, batches = self._parquet(f, columns, window, report)
            else:
                schema, batches = self._csv(f, columns, text_columns, time_column, as_text, report)
        except (KeysNotIntegers, SchemaError, InvalidInput):
            raise
        except (pa.ArrowException, OSError, ValueError) as e:
            raise self._unreadable(i, e) from None
        # Columns the file lacks: a hive partition's value, else an error naming the file.
        extra = {}
        for c in columns:
            if c in schema.names:
                continue
            if c in f.partition:
                extra[c] = (f.partition[c], self._partition_types[c])
                continue
            from ._arrow import missing_column
            raise missing_column(c, schema.names, "column",
                                 f"{self.what}: file {str(f.path)!r} ({i + 1} of {n})")
        if extra:
            for c, (_, t) in extra.items():
                schema = schema.append(pa.field(c, t))
            batches = _with_partition(batches, extra)
        schema = pa.schema([schema.field(c) for c in columns])
        return schema, (b.select(columns) for b in batches)

    def _unreadable(self, i: int, e: Exception) -> InvalidInput:
        f = self.files[i]
        kind = "Parquet" if f.parquet else "CSV"
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        return InvalidInput(f"{self.what}: cannot read file {str(f.path)!r} ({i + 1} of "
                            f"{len(self.files)}) as {kind}: {msg}")

    def _same_schema(self, schema: pa.Schema, s: pa.Schema, f: _File, text_columns) -> None:
        for fld in schema:
            t = s.field(fld.name).type
            if t.equals(fld.type):
                continue
            # CSV keys decided per file: integers in a later file join text keys as text.
            if fld.name in text_columns and pa.types.is_string(fld.type) and pa.types.is_integer(t):
                continue
            if fld.name in text_columns and pa.types.is_integer(fld.type) and pa.types.is_string(t):
                raise KeysNotIntegers(fld.name, 0)
            raise SchemaError(
                f"{self.what}: file {str(f.path)!r} has column {fld.name!r} of type {t}, but the "
                f"first file {str(self.files[0].path)!r} has it as {fld.type}; every file must "
                "give a column the same type")

    @staticmethod
    def _conform(schema: pa.Schema, b: pa.RecordBatch, f: _File, text_columns) -> pa.RecordBatch:
        if b.schema.equals(schema):
            return b
        cols = []
        for fld in schema:
            c = b.column(fld.name)
            if not c.type.equals(fld.type):
                if fld.name in text_columns and pa.types.is_integer(fld.type):
                    raise KeysNotIntegers(fld.name, 0)
                c = pc.cast(c, fld.type)
            cols.append(c)
        return pa.RecordBatch.from_arrays(cols, schema=schema)


def _with_partition(batches, extra: dict):
    for b in batches:
        for c, (value, t) in extra.items():
            v = int(value) if pa.types.is_integer(t) and isinstance(value, str) else value
            b = b.append_column(pa.field(c, t), pa.array([v] * b.num_rows, type=t))
        yield b


def _day(s: pa.Scalar) -> int:
    """Days since 1970-01-01 of a date or timestamp scalar (UTC for aware timestamps)."""
    t = s.type
    if pa.types.is_date32(t):
        return s.value
    if pa.types.is_date64(t):
        return s.value // 86_400_000
    if pa.types.is_timestamp(t):
        per_day = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}[t.unit]
        return s.value // per_day
    raise TypeError(t)


def window_days(settings: dict) -> tuple[int, int] | None:
    """(first day, end day) of an explicit window (both bounds given), else None."""
    lo, hi = settings.get("window_start"), settings.get("as_of")
    if lo is None or hi is None:
        return None
    return int(lo), int(hi)

"""Reading and writing CSV and Parquet files (through pyarrow) for the command line, and
writing any file in place of an old one safely.

Writing policy: every file tierkit writes (tables here, models and policies by ``save``,
the command line's outputs) is written to a temporary file in the target's directory,
flushed to the disk, and renamed onto the target only when all of it is written. A
failure (a full disk, a writer's error, an interrupt) removes the temporary file and
leaves an existing target as it was; a reader never sees a half-written file. The new
file takes the old one's permission bits; a symbolic link is followed, so the file it
points to is replaced and the link kept.

Reading policy: key and order columns named by the caller are read as text, and become 64-bit
integers when every value is an integer written canonically (optional minus, digits, no
leading zero: "42", "-7", "0"): integer keys are what an engine stores and hashes fastest,
and such text says nothing an integer does not. One value that is not ("00042", "C42", "4.0",
a number beyond 64 bits) keeps the whole column as text, so "00042" stays "00042" and is never
merged with "42". A stream decides on its first batch; a later batch that breaks the rule
raises KeysNotIntegers, and the caller reads the file again with those columns as text
(keys_as_text). Other columns get pyarrow's type inference over the whole file. An empty CSV
field is a null (also in text columns: an empty customer id is a missing one, not a customer
called ""). ``.gz``/``.bz2``/``.zst`` CSV files are decompressed on the fly; the progress bar
follows the bytes of the file as read.
"""
from __future__ import annotations

import contextlib
import io
import os
import secrets
import stat
from pathlib import Path
from typing import Callable, Iterator, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from ._errors import SchemaError

PARQUET_SUFFIXES = (".parquet", ".pq")
# CSV is parsed in blocks of this many bytes: large enough for both cores' parsing to pay,
# small enough that a block's columns stay a small part of memory.
CSV_BLOCK_BYTES = 1 << 24
_COMPRESSION = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd"}


class _CountingReader(io.RawIOBase):
    """A file whose reads report how many bytes were consumed."""

    def __init__(self, path: Path, report: Callable[[int], None]):
        self._f = open(path, "rb")
        self._report = report
        self._done = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self._f.readinto(b)
        self._done += n or 0
        self._report(self._done)
        return n

    def close(self) -> None:
        self._f.close()
        super().close()


class KeysNotIntegers(SchemaError):
    """A streamed key column read as integers (its first batch was) has text in a later batch."""

    def __init__(self, column: str, row: int):
        super().__init__(f"tierkit: column {column!r} holds integers in its first rows but "
                         f"text from about row {row + 1:,} on")
        self.column = column


def integer_keys(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray | None:
    """A text key column as int64 when every non-null value is a canonically written
    integer (see the module's policy), otherwise None."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return None
    try:
        ints = pc.cast(column, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    # The cast also takes leading zeros ("007", "-0", "-01"): canonical text has none.
    if pc.any(pc.or_(pc.starts_with(column, "0"), pc.starts_with(column, "-0"))).as_py():
        padded = pc.or_(pc.and_(pc.starts_with(column, "0"), pc.greater(pc.utf8_length(column), 1)),
                        pc.starts_with(column, "-0"))
        if pc.any(padded).as_py():
            return None
    return ints


def _integer_key_columns(table, columns: Sequence[str | None]):
    """table with each of `columns` as int64 where integer_keys allows (a Table or batch)."""
    for c in columns:
        if c and c in table.schema.names:
            ints = integer_keys(table.column(c))
            if ints is not None:
                table = table.set_column(table.schema.names.index(c), c, ints)
    return table


def keys_as_text(table, column: str | None):
    """table with an integer key column as its decimal text (exact: the text an integer key
    was read from), for joining with keys read as text; other tables unchanged."""
    if table is None or not column or column not in table.schema.names:
        return table
    i = table.schema.names.index(column)
    if not pa.types.is_integer(table.schema.field(i).type):
        return table
    return table.set_column(i, column, pc.cast(table.column(i), pa.string()))


def is_integer_key(schema: pa.Schema, column: str | None) -> bool:
    return bool(column) and column in schema.names and pa.types.is_integer(schema.field(column).type)


def is_parquet(path: Path) -> bool:
    return path.name.lower().endswith(PARQUET_SUFFIXES)


def read_table(path: Path, *, text_columns: Sequence[str | None] = (), time_column: str | None = None,
               time_format: str | None = None, delimiter: str | None = None,
               progress: Callable[[int, int], None] | None = None,
               keys_as_text: bool = False) -> pa.Table:
    """A CSV or Parquet file as a pyarrow Table (see the module's policy: text_columns of a
    CSV file become integers where they all are, unless keys_as_text)."""
    path = Path(path)
    total = path.stat().st_size
    if is_parquet(path):
        import pyarrow.parquet as pq
        f = pq.ParquetFile(path)
        batches, rows = [], 0
        for batch in f.iter_batches(batch_size=1 << 20):
            batches.append(batch)
            rows += batch.num_rows
            if progress:
                progress(rows, f.metadata.num_rows)
        return pa.Table.from_batches(batches, schema=f.schema_arrow)  # Parquet keeps its types
    import pyarrow.csv as pcsv
    name = path.name.lower()
    delimiter = delimiter or ("\t" if ".tsv" in name else ",")
    types = {c: pa.string() for c in text_columns if c}
    if time_format and time_column:
        types[time_column] = pa.string()
    raw = _CountingReader(path, (lambda done: progress(done, total)) if progress else (lambda done: None))
    source = pa.PythonFile(raw, mode="r")
    codec = _COMPRESSION.get(path.suffix.lower())
    stream = pa.CompressedInputStream(source, codec) if codec else source
    try:
        table = pcsv.read_csv(stream, parse_options=pcsv.ParseOptions(delimiter=delimiter),
                              convert_options=pcsv.ConvertOptions(column_types=types,
                                                                  strings_can_be_null=True))
    finally:
        stream.close()
    if time_format and time_column and time_column in table.column_names:
        i = table.column_names.index(time_column)
        try:
            parsed = pc.strptime(table.column(i), format=time_format, unit="s")
        except pa.ArrowInvalid as e:
            raise SchemaError(f"tierkit: column {time_column!r} does not match the time format "
                              f"{time_format!r}: {e}") from None
        table = table.set_column(i, time_column, parsed)
    return table if keys_as_text else _integer_key_columns(table, text_columns)


def needed_columns(roles: dict, derive: dict | None = None) -> list[str]:
    """The columns a job reads: its roles' and those its derived columns' expressions read,
    less the derived columns themselves."""
    from . import _core
    out = [c for c in roles.values() if c]
    derived = set((derive or {}).keys())
    for text in (derive or {}).values():
        out += _core.Expression.parse(str(text), "derived column").columns()
    return [c for c in dict.fromkeys(out) if c not in derived]


def open_batches(path: Path, *, columns: Sequence[str] | None = None, text_columns: Sequence[str | None] = (),
                 time_column: str | None = None, time_format: str | None = None,
                 delimiter: str | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 keys_as_text: bool = False) -> pa.RecordBatchReader:
    """A CSV or Parquet file as a stream of record batches (read, parsed and handed on batch
    by batch, so that reading overlaps the work on earlier batches and memory stays bounded
    by a batch), only `columns` when given; types as read_table's, text_columns of a CSV
    file decided on the first batch (KeysNotIntegers from a later batch that breaks it).
    The progress callback gets (bytes read, file size) for CSV and (rows, rows in the file)
    for Parquet."""
    path = Path(path)
    total = path.stat().st_size
    if is_parquet(path):
        import pyarrow.parquet as pq
        f = pq.ParquetFile(path)
        names = f.schema_arrow.names
        cols = [c for c in columns if c in names] if columns is not None else None
        missing = [c for c in (columns or []) if c not in names]
        if missing:
            from ._arrow import missing_column
            raise missing_column(missing[0], names, "column", f"tierkit: {path.name}")
        schema = pa.schema([f.schema_arrow.field(c) for c in cols]) if cols is not None else f.schema_arrow
        rows_total = f.metadata.num_rows

        def parquet_batches():
            rows = 0
            for batch in f.iter_batches(batch_size=1 << 20, columns=cols):
                rows += batch.num_rows
                if progress:
                    progress(rows, rows_total)
                yield batch
        return pa.RecordBatchReader.from_batches(schema, parquet_batches())
    import pyarrow.csv as pcsv
    name = path.name.lower()
    delimiter = delimiter or ("\t" if ".tsv" in name else ",")
    types = {c: pa.string() for c in text_columns if c}
    if time_format and time_column:
        types[time_column] = pa.string()
    raw = pa.OSFile(str(path), "rb")
    codec = _COMPRESSION.get(path.suffix.lower())
    stream = pa.CompressedInputStream(raw, codec) if codec else raw
    convert = pcsv.ConvertOptions(column_types=types, strings_can_be_null=True,
                                  include_columns=list(columns) if columns is not None else None)
    try:
        reader = pcsv.open_csv(stream, read_options=pcsv.ReadOptions(block_size=CSV_BLOCK_BYTES),
                               parse_options=pcsv.ParseOptions(delimiter=delimiter), convert_options=convert)
    except (pa.ArrowInvalid, pa.ArrowKeyError) as e:
        stream.close()
        if columns is None:
            raise
        # A column the job needs is not in the file: name it and the close names.
        header = pcsv.open_csv(pa.input_stream(str(path), compression=codec),
                               parse_options=pcsv.ParseOptions(delimiter=delimiter)).schema.names
        missing = [c for c in columns if c not in header]
        if not missing:
            raise SchemaError(f"tierkit: {path.name}: {e}") from None
        from ._arrow import missing_column
        raise missing_column(missing[0], header, "column", f"tierkit: {path.name}") from None
    def parsed_times(batch: pa.RecordBatch) -> pa.RecordBatch:
        if time_format and time_column and time_column in batch.schema.names:
            i = batch.schema.names.index(time_column)
            try:
                parsed = pc.strptime(batch.column(i), format=time_format, unit="s")
            except pa.ArrowInvalid as e:
                raise SchemaError(f"tierkit: column {time_column!r} does not match the time "
                                  f"format {time_format!r}: {e}") from None
            batch = batch.set_column(i, time_column, parsed)
        return batch

    # The first batch fixes the stream's schema: which key columns are integers.
    keys = [c for c in text_columns if c and c in reader.schema.names] if not keys_as_text else []
    try:
        first = reader.read_next_batch()
    except StopIteration:
        first = None
    if first is not None:
        first = _integer_key_columns(parsed_times(first), keys)
        schema = first.schema
        ints = [c for c in keys if pa.types.is_integer(schema.field(c).type)]
    else:
        schema, ints = reader.schema, []
        if time_format and time_column and time_column in schema.names:
            i = schema.names.index(time_column)
            schema = schema.set(i, pa.field(time_column, pa.timestamp("s")))

    def csv_batches():
        try:
            if first is None:
                return
            if progress:
                progress(raw.tell(), total)
            yield first
            rows = first.num_rows
            for batch in reader:
                if progress:
                    progress(raw.tell(), total)
                batch = parsed_times(batch)
                for c in ints:
                    i = batch.schema.names.index(c)
                    converted = integer_keys(batch.column(i))
                    if converted is None:
                        raise KeysNotIntegers(c, rows)
                    batch = batch.set_column(i, c, converted)
                rows += batch.num_rows
                yield batch
        finally:
            stream.close()
    return pa.RecordBatchReader.from_batches(schema, csv_batches())


def write_table(table: pa.Table, path: Path) -> None:
    """Parquet for .parquet/.pq, CSV otherwise (dictionary columns are written as text);
    written beside the target and renamed onto it only when complete (module policy)."""
    path = Path(path)
    with replacing(path) as tmp:
        if is_parquet(path):
            import pyarrow.parquet as pq
            pq.write_table(table, str(tmp))
            return
        import pyarrow.csv as pcsv
        plain = pa.table({n: (c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c)
                          for n, c in zip(table.column_names, table.columns)})
        pcsv.write_csv(plain, str(tmp))


def write_bytes(path, data: bytes) -> None:
    """`data` as the file `path`, replacing it only when all of it is written."""
    with replacing(Path(path)) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)


def _temporary_beside(target: Path) -> Path:
    """A new, empty file in target's directory (created exclusively, so never someone
    else's; permissions as any new file: 0o666 less the umask)."""
    while True:
        tmp = target.with_name(f".{target.name}.tierkit-{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Yields a temporary path beside `path` to write; when the block ends without an
    exception the file is flushed to the disk and renamed onto `path`, otherwise it is
    removed and `path` is left as it was (module policy)."""
    path = Path(path)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    tmp = _temporary_beside(target)
    try:
        yield tmp
        with contextlib.suppress(OSError):  # no old file, or not ours to read: defaults
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        # A full disk may show only when the data reach it (delayed allocation), after
        # every write() succeeded: flush before the rename, so that it fails here.
        fd = os.open(tmp, os.O_RDWR)  # some systems flush only files open for writing
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def check_writable(path: Path, directory: bool = False) -> str | None:
    """Why `path` (a file, or a directory to create files in) cannot be written, or None.
    Tried by creating and removing a temporary file where the output will go, so
    permissions, read-only file systems and access lists all count."""
    path = Path(path)
    if directory:
        where = path
        while not where.exists() and where != where.parent:
            where = where.parent  # the directory that will hold the new ones
        if not where.is_dir():
            return f"{str(where)!r} is not a directory"
    else:
        target = Path(os.path.realpath(path)) if path.is_symlink() else path
        if target.is_dir():
            return "it is a directory"
        where = target.parent
        if not where.is_dir():
            return f"the directory {str(where)!r} does not exist"
    try:
        os.unlink(_temporary_beside(where / "probe"))
    except OSError as e:
        return f"cannot create files in {str(where)!r}: {e.strerror}"
    return None

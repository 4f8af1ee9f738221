"""Dates and time zones at the Python boundary.

Day numbers count days since 1970-01-01. ``as_of`` and window dates accept
``datetime.date``, ``datetime.datetime`` (its date is used), ``numpy.datetime64``,
``pandas.Timestamp`` and ISO strings ("2024-01-31"). Time zones accept "UTC", IANA names
("Asia/Shanghai"), fixed offsets ("+08:00", "UTC-05:00"), ``datetime.timezone`` and
``zoneinfo.ZoneInfo`` objects.
"""
from __future__ import annotations

import datetime as _dt
import functools
import re
from typing import overload

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _core
from ._errors import InvalidInput

_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()
NO_DAY = np.iinfo(np.int32).min


def to_day(value, what: str) -> int | None:
    """Day number of a date-like value; None stays None."""
    if value is None:
        return None
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise InvalidInput(f"{what}: got NaT; expected a date")
        return int(value.astype("datetime64[D]").astype(np.int64))
    if isinstance(value, _dt.datetime):
        return value.date().toordinal() - _EPOCH_ORDINAL
    if isinstance(value, _dt.date):
        return value.toordinal() - _EPOCH_ORDINAL
    if isinstance(value, str):
        try:
            return _dt.datetime.fromisoformat(value.strip()).date().toordinal() - _EPOCH_ORDINAL
        except ValueError:
            raise InvalidInput(
                f"{what}: cannot read {value!r} as a date; expected ISO form such as '2024-01-31'"
            ) from None
    raise InvalidInput(
        f"{what}: expected a date (datetime.date, datetime, numpy.datetime64 or ISO string); "
        f"got {type(value).__name__}"
    )


@overload
def to_date(day: None) -> None: ...
@overload
def to_date(day: int) -> _dt.date: ...
def to_date(day: int | None) -> _dt.date | None:
    if day is None:
        return None
    return _dt.date.fromordinal(int(day) + _EPOCH_ORDINAL)



def required_day(value, what: str) -> int:
    """Day number of a date-like value that must be given (None raises InvalidInput)."""
    day = to_day(value, what)
    if day is None:
        raise InvalidInput(f"{what}: got None; expected a date")
    return day


def valid_dates_arg(value, what: str) -> tuple[int, int]:
    """(first, last) day numbers of a ``valid_dates`` setting: the days transactions (or
    balance events) may be dated, both included. None gives the default, 1900-01-01 through
    2200-12-31 (``_core.DEFAULT_VALID_DATES``); otherwise a pair of dates, each anything
    ``to_day`` reads ("1800-01-01", datetime.date, ...)."""
    if value is None:
        first, last = _core.DEFAULT_VALID_DATES
        return int(first), int(last)
    if isinstance(value, (str, bytes, _dt.date)) or not hasattr(value, "__len__") or len(value) != 2:
        raise InvalidInput(f"{what}: valid_dates must be a pair of dates (first, last), such as "
                           f"('1900-01-01', '2200-12-31'); got {value!r}")
    first = required_day(value[0], f"{what}: valid_dates' first date")
    last = required_day(value[1], f"{what}: valid_dates' last date")
    if first > last:
        raise InvalidInput(f"{what}: valid_dates must run forwards; got {to_date(first)} after "
                           f"{to_date(last)}")
    return first, last


_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$")

# The span over which IANA zones are resolved into transitions. Instants outside it use the
# offset in force at its edge.
_SCAN_FROM = -2208988800  # 1900-01-01T00:00:00Z
_SCAN_TO = 4102444800  # 2100-01-01T00:00:00Z
_SCAN_STEP = 6 * 3600  # no zone changes its offset twice within six hours


def resolve_zone(tz) -> _core.TimeZone:
    """A core TimeZone for a zone given by name, offset string or tzinfo."""
    if tz is None:
        return _core.TimeZone()
    if isinstance(tz, _dt.timezone):
        offset = tz.utcoffset(None)
        seconds = int(offset.total_seconds())
        return _core.TimeZone() if seconds == 0 else _core.TimeZone.fixed(str(tz), seconds)
    key = getattr(tz, "key", None)  # zoneinfo.ZoneInfo
    if key is not None:
        tz = key
    if not isinstance(tz, str):
        raise InvalidInput(
            f"time_zone: expected a zone name such as 'UTC' or 'Asia/Shanghai', an offset such "
            f"as '+08:00', or a tzinfo; got {type(tz).__name__}"
        )
    name = tz.strip()
    if name.upper() in ("UTC", "Z", "GMT", "ETC/UTC"):
        return _core.TimeZone()
    m = _OFFSET.match(name)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        seconds = sign * (int(m.group(2)) * 3600 + int(m.group(3) or 0) * 60)
        return _core.TimeZone.fixed(name, seconds)
    initial, instants, offsets = _zone_transitions(name)
    return _core.TimeZone.from_transitions(name, initial, list(instants), list(offsets))


@functools.lru_cache(maxsize=64)
def _zone_transitions(name: str) -> tuple[int, tuple[int, ...], tuple[int, ...]]:
    """Offset history of an IANA zone from Arrow's time-zone database, 1900-2100.

    Offsets are sampled every six hours; each change is then located to the second by a
    vectorized bisection.
    """
    def offsets_at(seconds: np.ndarray) -> np.ndarray:
        arr = pa.array(seconds, pa.int64()).view(pa.timestamp("s", tz=name))
        local = pc.local_timestamp(arr).view(pa.int64()).to_numpy()
        return local - seconds

    try:
        grid = np.arange(_SCAN_FROM, _SCAN_TO, _SCAN_STEP, dtype=np.int64)
        off = offsets_at(grid)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        raise InvalidInput(
            f"time_zone: unknown time zone {name!r}; expected 'UTC', an IANA name such as "
            f"'Asia/Shanghai', or an offset such as '+08:00' ({e})"
        ) from None
    changes = np.nonzero(np.diff(off))[0]
    lo = grid[changes]  # offset there is the old one
    hi = grid[changes + 1]  # offset there is the new one
    old = off[changes]
    while np.any(hi - lo > 1):
        mid = (lo + hi) // 2
        same = offsets_at(mid) == old
        lo = np.where(same, mid, lo)
        hi = np.where(same, hi, mid)
    new = offsets_at(hi)
    return int(off[0]), tuple(int(x) for x in hi), tuple(int(x) for x in new)

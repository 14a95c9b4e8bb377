"""The working-day calendar of Vietnam's public administration.

Procedure deadlines (one-stop dossiers, complaints, hotline tickets) are set in working days: Monday
to Friday, minus public holidays, including Tết by the lunar calendar, days moved by the Government's
yearly swap notices, and the Saturdays worked in exchange. ``holidays.VN`` knows all three; this module
turns it into one row per date with a running ``working_day_seq``, so that "due in N working days"
and "how many working days did it take" become plain integer arithmetic (also in SQL).
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import pyarrow as pa

DEFAULT_START = date(2015, 1, 1)
DEFAULT_END = date(2031, 12, 31)

# holidays.VN's Vietnamese names, where the everyday name differs
_VI_NAMES = {
    "Ngày Chiến thắng": "Ngày Giải phóng miền Nam",
    "Tết Nguyên Đán": "Tết Nguyên đán",
}
# "Ngày nghỉ (thay cho ngày 26/04/2025)": the Saturday named is worked in exchange for this day off
_SWAPPED_FROM = re.compile(r"thay cho ngày (\d{2})/(\d{2})/(\d{4})")
_LUNAR_NEW_YEAR = "Lunar New Year"

SCHEMA = pa.schema([
    ("date", pa.date32()),
    ("year", pa.int16()),
    ("month", pa.int8()),
    ("day_of_week", pa.int8()),            # ISO: 1 = Monday … 7 = Sunday
    ("is_weekend", pa.bool_()),
    ("is_holiday", pa.bool_()),
    ("holiday_name", pa.string()),         # Vietnamese
    ("holiday_name_en", pa.string()),
    ("is_working_day", pa.bool_()),
    ("working_day_seq", pa.int32()),       # working days from start up to and including this date
    ("is_tet", pa.bool_()),                # the whole Tết break, weekends inside it included
])


def _vi_name(name: str) -> str:
    for old, new in _VI_NAMES.items():
        name = name.replace(old, new)
    return name


def _holidays(years: range) -> tuple[dict[date, str], dict[date, str], set[date]]:
    """Vietnamese and English names per holiday, and the weekend days worked in exchange."""
    import holidays

    vi = holidays.VN(years=years, language="vi")
    en = holidays.VN(years=years, language="en_US")
    worked = set()
    for name in vi.values():
        for day, month, year in _SWAPPED_FROM.findall(name):
            worked.add(date(int(year), int(month), int(day)))
    return ({d: _vi_name(n) for d, n in vi.items()}, dict(en.items()), worked)


def calendar(start: date = DEFAULT_START, end: date = DEFAULT_END) -> pa.Table:
    """One row per date from start to end (inclusive): weekend, holiday, working day, running count."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    # a swap may cross the year boundary (2015-01-02 was exchanged for 2014-12-27)
    vi, en, worked = _holidays(range(start.year - 1, end.year + 2))
    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
    dates = days.astype(object)
    dow = ((days.astype("int64") + 3) % 7 + 1).astype(np.int8)   # 1970-01-01 was a Thursday
    is_weekend = dow >= 6
    is_holiday = np.fromiter((d in vi for d in dates), bool, len(dates))
    is_worked_weekend = np.fromiter((d in worked for d in dates), bool, len(dates))
    is_working = ((~is_weekend) | is_worked_weekend) & ~is_holiday
    is_lny = np.fromiter((_LUNAR_NEW_YEAR in en.get(d, "") for d in dates), bool, len(dates))
    years = days.astype("datetime64[Y]").astype(int) + 1970
    months = days.astype("datetime64[M]").astype(int) % 12 + 1
    return pa.table({
        "date": pa.array(days, pa.date32()),
        "year": pa.array(years, pa.int16()),
        "month": pa.array(months, pa.int8()),
        "day_of_week": pa.array(dow, pa.int8()),
        "is_weekend": pa.array(is_weekend),
        "is_holiday": pa.array(is_holiday),
        "holiday_name": pa.array([vi.get(d) for d in dates], pa.string()),
        "holiday_name_en": pa.array([en.get(d) for d in dates], pa.string()),
        "is_working_day": pa.array(is_working),
        "working_day_seq": pa.array(np.cumsum(is_working), pa.int32()),
        "is_tet": pa.array(_tet_break(is_working, is_lny)),
    }, schema=SCHEMA)


def _tet_break(is_working: np.ndarray, is_lny: np.ndarray) -> np.ndarray:
    """Days off in a run that contains a Lunar New Year holiday: the break people actually take."""
    # runs of consecutive days off, numbered; a run is Tết when any of its days is
    run_id = np.cumsum(is_working)
    tet_runs = np.unique(run_id[is_lny & ~is_working])
    return ~is_working & np.isin(run_id, tet_runs)


@lru_cache(maxsize=1)
def _default_lookup() -> tuple[date, np.ndarray, np.ndarray]:
    table = calendar()
    return (DEFAULT_START, table["working_day_seq"].to_numpy(),
            table["is_working_day"].to_numpy(zero_copy_only=False))


def _index(day: date) -> int:
    start, seq, _ = _default_lookup()
    i = (day - start).days
    if not 0 <= i < len(seq):
        raise ValueError(f"{day} is outside the calendar ({DEFAULT_START} … {DEFAULT_END})")
    return i


def add_working_days(day: date, n: int) -> date:
    """The n-th working day after ``day`` (before it when n < 0); ``day`` itself when n == 0.

    A dossier received on Friday 13 Feb 2026 with a 3-working-day deadline is due on 25 Feb 2026:
    the Tết break and the weekends in between do not count.
    """
    if n == 0:
        return day
    _, seq, working = _default_lookup()
    i = _index(day)
    # seq counts working days up to and including a date: a day off carries its previous working day's
    target = seq[i] + n + (1 if n < 0 and not working[i] else 0)
    hits = np.flatnonzero((seq == target) & working)
    if len(hits) == 0:
        raise ValueError(f"{day} {n:+d} working days is outside the calendar")
    return DEFAULT_START + timedelta(days=int(hits[0]))


def working_days_between(a: date, b: date) -> int:
    """Working days after ``a`` up to and including ``b`` (negative when b is before a).

    The number of working days a dossier received on ``a`` and returned on ``b`` took.
    """
    _, seq, _ = _default_lookup()
    return int(seq[_index(b)] - seq[_index(a)])

"""What every source generator shares: Vietnamese names, phones, citizen IDs, Unicode dirt, pre-2025
ward arrays, clocks and UTC conversions, numpy → Arrow, fast bulk loads into PostgreSQL (COPY) and
MariaDB (LOAD DATA LOCAL INFILE), and generator state (the create/advance protocol).

A generator module (``simulators/departments/<name>/generator.py``) exposes
``create(dsn, scale, seed, force=False) -> dict`` and ``advance(dsn, step=None) -> dict``: same
seed and step, same data. ``create`` is a no-op when the same scale and seed are already there.
The dirt the generators inject on purpose lives in ``simulators/departments/dirt.py``.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
import unicodedata
from pathlib import Path

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv

from ingestion.reference.admin_units import legacy_wards, ward_mapping_2025
from ingestion.reference.agencies import ward_committee_code

EPOCH = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
DAY = np.timedelta64(1, "D")
UTC_TS = pa.timestamp("us", tz="UTC")

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Phan", "Võ", "Vũ", "Đặng", "Bùi",
            "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Trương", "Đinh", "Lâm", "Tạ"]
SURNAME_WEIGHTS = np.array([38, 11, 9.5, 7, 5, 4, 4.5, 4, 2, 2, 2, 1.5, 1.5, 1.3, 1, 1, 1, 1, 0.8, 0.4])
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Thu", "Quốc", "Hoàng", "Gia",
          "Bảo", "Thùy", "Kim", "Anh", "Xuân", "Mỹ", "Công", "Tấn", "Phương"]
GIVEN = ["An", "Anh", "Bình", "Châu", "Cường", "Dũng", "Duy", "Giang", "Hà", "Hải", "Hạnh", "Hiếu",
         "Hoa", "Hùng", "Hương", "Khánh", "Khoa", "Lan", "Linh", "Long", "Mai", "Minh", "Nam",
         "Ngân", "Nhung", "Phong", "Phúc", "Phương", "Quân", "Quang", "Sơn", "Tâm", "Thảo",
         "Thắng", "Thành", "Trang", "Trinh", "Tuấn", "Tùng", "Uyên", "Việt", "Vy", "Xuân", "Yến",
         "Đạt", "Ánh", "Ngọc", "Hằng", "Lộc", "Nhân"]
STREETS = ["Nguyễn Trãi", "Lê Lợi", "Hai Bà Trưng", "Cách Mạng Tháng Tám", "Điện Biên Phủ",
           "Võ Văn Tần", "Nguyễn Thị Minh Khai", "Lý Thường Kiệt", "Phan Xích Long", "Quang Trung",
           "Nguyễn Oanh", "Phạm Văn Đồng", "Trường Chinh", "Âu Cơ", "Lạc Long Quân",
           "Nguyễn Văn Linh", "Huỳnh Tấn Phát", "Kinh Dương Vương", "Phan Đăng Lưu", "Lê Văn Sỹ",
           "Nguyễn Kiệm", "Hoàng Văn Thụ", "Tô Ký", "Lê Đức Thọ", "Nguyễn Ảnh Thủ"]


def nfd_some(rng: np.random.Generator, values, share: float) -> np.ndarray:
    """Data-entry clients on macOS and some web forms send decomposed (NFD) Vietnamese."""
    values = np.asarray(values, dtype=object)
    flip = rng.random(len(values)) < share
    return np.array([unicodedata.normalize("NFD", v) if f and v is not None else v
                     for v, f in zip(values, flip)], dtype=object)


def names(rng: np.random.Generator, n: int) -> np.ndarray:
    """Full Vietnamese names with realistic surname frequencies."""
    sur = rng.choice(SURNAMES, n, p=SURNAME_WEIGHTS / SURNAME_WEIGHTS.sum())
    mid = rng.choice(MIDDLE, n)
    giv = rng.choice(GIVEN, n)
    return np.char.add(np.char.add(np.char.add(np.char.add(sur, " "), mid), " "), giv).astype(object)


def addresses(rng: np.random.Generator, n: int) -> np.ndarray:
    house = rng.integers(1, 999, n).astype(str)
    return np.char.add(np.char.add(house, " "), rng.choice(STREETS, n)).astype(object)


def phones(rng: np.random.Generator, n: int, missing: float = 0.05, malformed: float = 0.06) -> np.ndarray:
    """Vietnamese phone numbers as people type them (spaces, dots, +84), some missing or junk."""
    prefixes = np.array(["090", "091", "093", "097", "098", "070", "077", "083", "086", "028"])
    pre = rng.choice(prefixes, n)
    rest = rng.integers(0, 10_000_000, n)
    style = rng.integers(0, 4, n)
    out = []
    for p, r, s in zip(pre, rest, style):
        digits = f"{p}{r:07d}"
        out.append([digits, f"{digits[:4]} {digits[4:7]} {digits[7:]}", f"+84 {digits[1:]}",
                    f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"][s])
    out = np.array(out, dtype=object)
    roll = rng.random(n)
    out[roll < missing] = None
    bad = (roll >= missing) & (roll < missing + malformed)
    junk = np.array(["không có", "09081234", "0908-123-45", "123456789012345", "n/a"], dtype=object)
    out[bad] = rng.choice(junk, bad.sum())
    return out


def citizen_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """12-digit CCCD numbers: a province-of-birth prefix, then digits."""
    prefix = rng.choice(["079", "074", "077", "001", "048", "092"], n, p=[.6, .1, .05, .1, .1, .05])
    rest = rng.integers(0, 10**9, n)
    return np.array([f"{p}{r:09d}" for p, r in zip(prefix, rest)], dtype=object)


def timestamps(rng: np.random.Generator, n: int, start: dt.datetime = EPOCH, span_days: int = 900) -> np.ndarray:
    """Uniform UTC instants in [start, start + span_days), as an Arrow-friendly numpy array."""
    base = np.datetime64(start.replace(tzinfo=None), "us")
    return base + rng.integers(0, span_days * 86_400, n).astype("timedelta64[s]")


def pick(rng: np.random.Generator, options, n: int, p=None) -> np.ndarray:
    """``n`` of ``options`` (any sequence, kept as Python objects), weighted by ``p`` (need not sum to 1)."""
    options = np.asarray(options, dtype=object)
    if p is not None:
        p = np.asarray(p, dtype=float) / np.sum(p)
    return options[rng.choice(len(options), n, p=p)]


def saved_stamps(rng: np.random.Generator, after: np.ndarray, low: np.datetime64, latest: np.datetime64,
                 lag_s: tuple[int, int]) -> np.ndarray:
    """When each row was last saved: a random lag (``lag_s`` seconds, low..high) after its last event,
    never before ``low`` (its event may carry a typo) nor after ``latest`` (the end of the history)."""
    lag = rng.integers(lag_s[0], lag_s[1], len(after)).astype("timedelta64[s]")
    return np.minimum(np.maximum(after.astype("datetime64[us]") + lag, low.astype("datetime64[us]")),
                      latest.astype("datetime64[us]"))


def short_place_name(name: str) -> str:
    """'Phường Tân Định' → 'Tân Định', 'Huyện Củ Chi' → 'Củ Chi': how people name places in a school's or a
    project's name; numbered wards and districts ('Phường 11') are only ever said in full."""
    for prefix in ("Phường ", "Xã ", "Thị trấn ", "Quận ", "Huyện ", "Thành phố "):
        if name.startswith(prefix) and not name[len(prefix):].isdigit():
            return name[len(prefix):]
    return name


# -- wards --

Wards = dict[str, np.ndarray]  # ward_arrays(): one object array per key, indexed by ward position


def ward_arrays(committees: bool = False) -> Wards:
    """Pre-2025 wards (``legacy_wards()``) as object arrays by key (ward_code, ward_name, district_code,
    district_name), to index with a vector of ward positions; with ``committees`` also ``committee``,
    the agency code of the 2025 ward People's Committee that took each old ward over. A fresh dict each
    call: generators add their own columns to it."""
    wards = legacy_wards()
    out = {key: np.array([w[key] for w in wards], dtype=object)
           for key in ("ward_code", "ward_name", "district_code", "district_name")}
    if committees:
        new_code = {r["old_ward_code"]: r["ward_code_2025"] for r in ward_mapping_2025(("79",)).to_pylist()}
        out["committee"] = np.array([ward_committee_code(new_code[w["ward_code"]]) for w in wards], dtype=object)
    return out


# -- clocks and time --

def np_utc(value: dt.datetime) -> np.datetime64:
    """A naive-UTC numpy instant (µs) from an aware datetime: the form numpy arithmetic needs."""
    return np.datetime64(value.astimezone(dt.UTC).replace(tzinfo=None), "us")


def aware_utc(value: np.datetime64) -> dt.datetime:
    """An aware datetime for the driver: naive ones would be read in the session's time zone."""
    return value.item().replace(tzinfo=dt.UTC)


def utc_day(now: dt.datetime) -> np.datetime64:
    """The UTC calendar day of an instant."""
    return np.datetime64(now.astimezone(dt.UTC).date())


def end_of_day(day: np.datetime64) -> np.datetime64:
    """The last second of ``day``: the latest stamp a history that ends with that day may carry."""
    return (day + 1).astype("datetime64[us]") - np.timedelta64(1, "s")


def first_business_day(today: np.datetime64, last_stamp: dt.datetime) -> np.datetime64:
    """The earliest business date of a day's changes: the day the history so far ends (never after today),
    so that ``advance`` never dates an event before what the source already holds."""
    end = (np_utc(last_stamp) - np.timedelta64(1, "us") + DAY).astype("datetime64[D]")
    return min(today, end)


def pg_clock(conn: psycopg.Connection, now: dt.datetime | None) -> dt.datetime:
    """``now`` when given (naive = UTC), else the database clock; always aware."""
    now = now or conn.execute("SELECT now()").fetchone()[0]
    return now if now.tzinfo else now.replace(tzinfo=dt.UTC)


def pg_anchor(conn: psycopg.Connection, now: dt.datetime | None) -> np.datetime64:
    """Where a created history ends: the start of today (UTC, the database clock), or ``now`` when given
    (builds made on different days that must match pass it)."""
    if now is not None:
        return np_utc(now)
    return np_utc(conn.execute("SELECT now()").fetchone()[0]).astype("datetime64[D]").astype("datetime64[us]")


# -- numpy → Arrow --

def to_utc_array(values) -> pa.Array:
    """UTC instants from naive datetime64 (numpy) or aware datetimes (stamps of a day's changes)."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        return pa.array(values.astype("datetime64[us]"), pa.timestamp("us")).cast(UTC_TS)
    return pa.array(list(values), UTC_TS)


def arrow_table(cols: dict[str, np.ndarray], types: dict[str, pa.DataType] | None = None) -> pa.Table:
    """An Arrow table from numpy columns: NaT → null, datetime64[D] → date, finer instants → UTC
    timestamps, objects → strings; ``types`` for nullable numbers held as objects (None/NaN → null).
    Columns named ``_…`` are the generator's own bookkeeping and stay out."""
    arrays = {}
    for name, values in cols.items():
        if name.startswith("_"):
            continue
        if values.dtype.kind == "M":
            arr = pa.array(values, mask=np.isnat(values))
            arrays[name] = arr.cast(UTC_TS) if values.dtype != "datetime64[D]" else arr
        elif types and name in types:
            arrays[name] = pa.array(values, types[name], from_pandas=True)
        elif values.dtype == object:
            arrays[name] = pa.array(values, pa.string())
        else:
            arrays[name] = pa.array(values)
    return pa.table(arrays)


def arrow_table_with_stamps(cols: dict[str, np.ndarray], types: dict[str, pa.DataType] | None = None) -> pa.Table:
    """Like ``arrow_table``, with ``ngay_cap_nhat`` (last) given as Python datetimes from the database clock."""
    table = arrow_table({k: v for k, v in cols.items() if k != "ngay_cap_nhat"}, types)
    return table.append_column("ngay_cap_nhat", pa.array(list(cols["ngay_cap_nhat"]), UTC_TS))


def set_column(table: pa.Table, name: str, values: pa.Array) -> pa.Table:
    """``table`` with column ``name`` replaced in place (same position)."""
    return table.set_column(table.schema.get_field_index(name), name, values)


# -- PostgreSQL --

def copy_pg(conn: psycopg.Connection, table: str, data: pa.Table) -> None:
    """Bulk-load an Arrow table with COPY (CSV): the fastest path into PostgreSQL."""
    buf = io.BytesIO()
    pacsv.write_csv(data, buf, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    cols = ", ".join(data.column_names)
    with conn.cursor().copy(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv)") as copy:
        copy.write(buf.getvalue())


def copy_pg_chunks(conn: psycopg.Connection, table: str, data: pa.Table, rows: int = 200_000) -> None:
    """``copy_pg`` a slice at a time: a million-row CSV buffer at once costs gigabytes."""
    for start in range(0, data.num_rows, rows):
        copy_pg(conn, table, data.slice(start, rows))


def pg_recreate_schema(conn: psycopg.Connection, schema: str, schema_sql: Path) -> None:
    """Drop the source's schema with everything in it and run its DDL again: ``create`` starts clean."""
    conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    conn.execute(schema_sql.read_text())


def pg_has_column(conn: psycopg.Connection, schema: str, table: str, column: str) -> bool:
    """Whether the step-2 schema change (an added column) has already been applied."""
    return conn.execute("SELECT 1 FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
                        "AND column_name = %s", (schema, table, column)).fetchone() is not None


def pg_schema_change(conn: psycopg.Connection, schema: str, step: int, table: str, column: str, sql_type: str) -> bool:
    """The additive schema change every source makes from step 2 on (the extractor and silver must cope with
    a column appearing): ``ALTER TABLE … ADD COLUMN`` once. True when this call added it."""
    if step < 2 or pg_has_column(conn, schema, table, column):
        return False
    conn.execute(f"ALTER TABLE {schema}.{table} ADD COLUMN {column} {sql_type}")
    return True


def pg_state(conn: psycopg.Connection, schema: str) -> tuple[float, int, int] | None:
    """(scale, seed, step) of the generated source, or None when it was never generated."""
    if not conn.execute(f"SELECT to_regclass('{schema}._generator_state')").fetchone()[0]:
        return None
    row = conn.execute(f"SELECT scale, seed, step FROM {schema}._generator_state").fetchone()
    return (row[0], row[1], row[2]) if row else None


def pg_init_state(conn: psycopg.Connection, schema: str, scale: float, seed: int) -> None:
    conn.execute(f"CREATE TABLE {schema}._generator_state (scale double precision, seed bigint, step int)")
    conn.execute(f"INSERT INTO {schema}._generator_state VALUES (%s, %s, 0)", (scale, seed))


def pg_set_step(conn: psycopg.Connection, schema: str, step: int) -> None:
    """Record the step ``advance`` just applied (in the same transaction as its changes)."""
    conn.execute(f"UPDATE {schema}._generator_state SET step = %s", (step,))


# -- the create/advance protocol --

def already_built(state: tuple[float, int, int] | None, scale: float, seed: int, force: bool) -> dict | None:
    """``create``'s answer when the same scale and seed are already there and it is not forced (a rerun
    DAG must not regenerate a source); None when it has to build."""
    if state and state[0] == scale and state[1] == seed and not force:
        return {"created": False, "step": state[2]}
    return None


def pending_step(state: tuple[float, int, int] | None, step: int | None, source: str) -> int | None:
    """The step ``advance`` is asked for (the next one by default), or None when the source already holds
    it: a retried task never applies a day twice. ``source`` names it in the error when never created."""
    if state is None:
        raise RuntimeError(f"{source} is empty: run create() first")
    step = state[2] + 1 if step is None else step
    return step if step > state[2] else None


# -- MariaDB / MySQL --

def load_mysql(conn, table: str, data: pa.Table) -> None:
    """Bulk-load an Arrow table with LOAD DATA LOCAL INFILE (CSV); nulls stay NULL."""
    cols = []
    for name in data.column_names:
        col = data[name]
        if pa.types.is_timestamp(col.type):  # MariaDB DATETIME(6) holds UTC, no zone suffix
            col = col.cast(pa.timestamp("us")).cast(pa.string())
        elif pa.types.is_boolean(col.type):
            col = col.cast(pa.int8())
        cols.append(col)
    data = pa.table(cols, names=data.column_names)
    fd, path = tempfile.mkstemp(suffix=".csv")
    os.close(fd)
    try:
        # pyarrow writes nulls as empty; with ESCAPED BY '' MariaDB reads a bare NULL as NULL
        options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
        buf = io.BytesIO()
        pacsv.write_csv(data, buf, options)
        text = buf.getvalue().decode()
        lines = []
        for line in text.splitlines():
            fields = _split_csv(line)
            lines.append(",".join("NULL" if f is None else f for f in fields))
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + ("\n" if lines else ""))
        with conn.cursor() as cur:
            cur.execute(f"LOAD DATA LOCAL INFILE %s INTO TABLE {table} CHARACTER SET utf8mb4 "
                        "FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' "
                        f"LINES TERMINATED BY '\\n' ({', '.join(data.column_names)})", (path,))
    finally:
        os.unlink(path)


def _split_csv(line: str) -> list[str | None]:
    """Fields of one all-valid-quoted CSV line; an unquoted empty field is a null."""
    out: list[str | None] = []
    i, n = 0, len(line)
    while i <= n:
        if i < n and line[i] == '"':
            j = i + 1
            while True:
                j = line.index('"', j)
                if j + 1 < n and line[j + 1] == '"':
                    j += 2
                    continue
                break
            out.append(line[i:j + 1])
            i = j + 2
        else:
            j = line.find(",", i)
            j = n if j < 0 else j
            out.append(line[i:j] or None)
            i = j + 1
    return out


def mysql_state(conn, table: str = "_generator_state") -> tuple[float, int, int] | None:
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM information_schema.tables "
                    "WHERE table_schema = DATABASE() AND table_name = %s", (table,))
        if not cur.fetchone()[0]:
            return None
        cur.execute(f"SELECT scale, seed, step FROM {table}")
        row = cur.fetchone()
    return (row[0], row[1], row[2]) if row else None

"""What every source generator shares: Vietnamese names, phones, citizen IDs, Unicode dirt, fast
bulk loads into PostgreSQL (COPY) and MariaDB (LOAD DATA LOCAL INFILE), and generator state.

A generator module (``ingestion/sources/<name>/generator.py``) exposes
``create(dsn, scale, seed, force=False) -> dict`` and ``advance(dsn, step=None) -> dict``: same
seed and step, same data. ``create`` is a no-op when the same scale and seed are already there.
"""
from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
import unicodedata
from urllib.parse import unquote, urlparse

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv

EPOCH = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)

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


# -- PostgreSQL --

def copy_pg(conn: psycopg.Connection, table: str, data: pa.Table) -> None:
    """Bulk-load an Arrow table with COPY (CSV): the fastest path into PostgreSQL."""
    buf = io.BytesIO()
    pacsv.write_csv(data, buf, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    cols = ", ".join(data.column_names)
    with conn.cursor().copy(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv)") as copy:
        copy.write(buf.getvalue())


def pg_state(conn: psycopg.Connection, schema: str) -> tuple[float, int, int] | None:
    """(scale, seed, step) of the generated source, or None when it was never generated."""
    if not conn.execute(f"SELECT to_regclass('{schema}._generator_state')").fetchone()[0]:
        return None
    row = conn.execute(f"SELECT scale, seed, step FROM {schema}._generator_state").fetchone()
    return (row[0], row[1], row[2]) if row else None


def pg_init_state(conn: psycopg.Connection, schema: str, scale: float, seed: int) -> None:
    conn.execute(f"CREATE TABLE {schema}._generator_state (scale double precision, seed bigint, step int)")
    conn.execute(f"INSERT INTO {schema}._generator_state VALUES (%s, %s, 0)", (scale, seed))


# -- MariaDB / MySQL --

def mysql_connect(dsn: str, database: bool = True):
    """A PyMySQL connection from a ``mysql://user:pass@host:port/db`` URI (the connectorx form)."""
    import pymysql

    url = urlparse(dsn)
    return pymysql.connect(host=url.hostname or "127.0.0.1", port=url.port or 3306,
                           user=unquote(url.username or "root"), password=unquote(url.password or ""),
                           database=url.path.lstrip("/") if database else None, charset="utf8mb4",
                           local_infile=True, autocommit=True)


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

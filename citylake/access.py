"""Reading personal data: allowed for a stated purpose, and every read is logged.

Decree 13/2023/NĐ-CP requires that access to personal data be controlled and traceable. Tables in
the ``restricted`` layer are read only through :func:`read_restricted`, which appends who, when,
what and why to ``restricted/_audit/access_log`` before returning the data.
"""
from __future__ import annotations

import datetime as dt
import getpass

import pyarrow as pa

from citylake import delta
from citylake.catalog import entry, restricted_uri
from citylake.settings import Settings, get_settings

LOG_SCHEMA = pa.schema([("accessed_at", pa.timestamp("us", tz="UTC")), ("user", pa.string()),
                        ("table", pa.string()), ("columns", pa.string()), ("purpose", pa.string()),
                        ("rows", pa.int64())])


def read_restricted(domain: str, table: str, purpose: str, columns: list[str] | None = None,
                    user: str | None = None, settings: Settings | None = None) -> pa.Table:
    settings = settings or get_settings()
    if not purpose or len(purpose.strip()) < 10:
        raise PermissionError("reading personal data needs a stated purpose (at least a sentence)")
    catalogued = entry("restricted", domain, table)
    data = delta.read_arrow(restricted_uri(settings, domain, table), columns=columns)
    who = user or settings.user or getpass.getuser()
    row = pa.Table.from_pylist([{
        "accessed_at": dt.datetime.now(dt.UTC), "user": who,
        "table": f"restricted/{catalogued.domain}/{catalogued.name}",
        "columns": ",".join(columns or data.column_names), "purpose": purpose.strip(),
        "rows": data.num_rows}], schema=LOG_SCHEMA)
    delta.write_arrow(row, restricted_uri(settings, "_audit", "access_log"), mode="append")
    return data


def access_log(settings: Settings | None = None) -> pa.Table:
    settings = settings or get_settings()
    uri = restricted_uri(settings, "_audit", "access_log")
    return delta.read_arrow(uri) if delta.exists(uri) else LOG_SCHEMA.empty_table()

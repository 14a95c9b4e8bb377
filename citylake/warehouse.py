"""The warehouse's two sides: a staging DuckDB per writer, and the published marts everyone reads.

Write-audit-publish: a marts DAG builds with dbt into its own staging file
(``warehouse/staging/<owner>.duckdb``), Great Expectations audits the staged marts there, and only
then does :func:`publish` put them into the published file (``warehouse/citylake.duckdb``) — the one
the report, the open-data publisher and the notebooks read.

The published file is never written in place: a publication copies it, replaces its marts in the
copy inside one transaction, and renames the copy over it. A reader holding the old file (an
analyst's notebook, a report being rendered) keeps a consistent old version; the next reader sees
every mart of the publication at once. Publications are serialised by an exclusive lock on
``warehouse/.publish.lock``, so two DAGs publishing at once both land, one after the other.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from citylake.settings import Settings, get_settings

PUBLICATIONS = "_publications"  # one row per mart per publication: what was published when, by whom


def published_path(settings: Settings) -> Path:
    return settings.warehouse_duckdb


def staging_path(settings: Settings, owner: str) -> Path:
    return settings.warehouse_duckdb.parent / "staging" / f"{owner}.duckdb"


class MartMissing(LookupError):
    """The mart is not in that warehouse file (never built, or never published)."""


def read_mart(settings: Settings, mart: str, staged_by: str | None = None) -> pa.Table:
    """A mart as Arrow: the published one, or ``staged_by``'s staged build (for its audit)."""
    path = staging_path(settings, staged_by) if staged_by else published_path(settings)
    if not path.exists():
        raise MartMissing(f"{mart}: {path} does not exist (nothing {'built' if staged_by else 'published'} yet)")
    # a staging file belongs to its DAG, whose dbt may still hold it open in this very process (a
    # test's dag.test()): open it as dbt does. The published file is only ever read in place.
    with duckdb.connect(str(path), read_only=not staged_by) as con:
        if not _holds(con, mart):
            raise MartMissing(f"{mart} is not in {path}")
        return con.execute(f'SELECT * FROM main."{mart}"').arrow().read_all()


def is_published(settings: Settings, mart: str) -> bool:
    """Whether the published warehouse holds ``mart`` (a new deployment's marts come one DAG at a time)."""
    path = published_path(settings)
    if not path.exists():
        return False
    with duckdb.connect(str(path), read_only=True) as con:
        return _holds(con, mart)


def _holds(con: duckdb.DuckDBPyConnection, mart: str) -> bool:
    return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' "
                       "AND table_name = ?", [mart]).fetchone()[0] > 0


@contextmanager
def published(settings: Settings | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the published marts (what reports and notebooks should use)."""
    settings = settings or get_settings()
    with duckdb.connect(str(published_path(settings)), read_only=True) as con:
        yield con


@contextmanager
def _publish_lock(settings: Settings) -> Iterator[None]:
    lock = published_path(settings).parent / ".publish.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class Publication:
    owner: str
    marts: tuple[str, ...]
    rows: dict[str, int]
    published_at: dt.datetime

    def __str__(self) -> str:
        return f"{self.owner}: published {len(self.marts)} marts ({sum(self.rows.values()):,} rows)"


def publish(settings: Settings, owner: str, marts: Sequence[str]) -> Publication:
    """Copy ``owner``'s audited, staged ``marts`` into the published warehouse, all at once."""
    staged = staging_path(settings, owner)
    if not staged.exists():
        raise MartMissing(f"{owner} has staged nothing: {staged} does not exist")
    target = published_path(settings)
    now = dt.datetime.now(dt.UTC)
    rows: dict[str, int] = {}
    with _publish_lock(settings):
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            if target.exists():
                shutil.copyfile(target, tmp)
            # the staged file is read as its builder opens it (dbt may hold it in this very process),
            # and streamed across in Arrow batches: no second attachment of a file already open
            with duckdb.connect(str(staged)) as source, duckdb.connect(str(tmp)) as con:
                con.execute("BEGIN")
                con.execute(f"CREATE TABLE IF NOT EXISTS main.{PUBLICATIONS} (mart VARCHAR, owner VARCHAR, "
                            "row_count BIGINT, published_at TIMESTAMPTZ)")
                for mart in marts:
                    batches = source.execute(f'SELECT * FROM main."{mart}"').fetch_record_batch()
                    con.register("staged_mart", batches)
                    con.execute(f'CREATE OR REPLACE TABLE main."{mart}" AS SELECT * FROM staged_mart')
                    con.unregister("staged_mart")
                    rows[mart] = con.execute(f'SELECT count(*) FROM main."{mart}"').fetchone()[0]
                    con.execute(f"INSERT INTO main.{PUBLICATIONS} VALUES (?, ?, ?, ?)", [mart, owner, rows[mart], now])
                con.execute("COMMIT")
                con.execute("CHECKPOINT")
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
            Path(f"{tmp}.wal").unlink(missing_ok=True)
    return Publication(owner, tuple(marts), rows, now)

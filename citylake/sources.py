"""Preparing a department's source database: its server, its database, its generated data."""
from __future__ import annotations

import importlib

from citylake.settings import Settings


def ensure_server(settings: Settings, kind: str, database: str) -> None:
    if kind == "mariadb":
        from citylake.services import mariadb

        mariadb.start(settings)
        mariadb.ensure_database(settings, database)
    else:
        from citylake.services import postgres

        postgres.start(settings)
        postgres.ensure_database(settings, database)


def prepare_source(settings: Settings, name: str, advance: bool = False, scale: float | None = None,
                   seed: int | None = None, force: bool = False) -> dict:
    """Create the source at the configured scale if it is not there; with ``advance``, then apply the
    next day of changes (so the newest rows are today's, as in a live department system)."""
    from ingestion.config import load_source

    source = load_source(name)
    if not source.generator:
        raise ValueError(f"source {name} has no generator: it is a real system, not a demo one")
    ensure_server(settings, source.kind, source.database)
    generator = importlib.import_module(source.generator)
    dsn = source.dsn(settings)
    created = generator.create(dsn, settings.source_scale if scale is None else scale,
                               settings.seed if seed is None else seed, force=force)
    if not advance:
        return created
    return {**created, "advance": generator.advance(dsn)}

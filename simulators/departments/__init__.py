"""The department databases' stand-ins: one generator per source, and preparing a source's database.

The simulator of source ``<name>`` (``ingestion/sources/<name>/source.yml``) is the module
``simulators.departments.<name>.generator``, by convention: it exposes
``create(dsn, scale, seed, force=False) -> dict`` and ``advance(dsn, step=None) -> dict``.
"""
from __future__ import annotations

import importlib
from types import ModuleType

from citylake.settings import Settings


def simulator(name: str) -> ModuleType:
    """The simulator of source ``name``; a source without one is a real system, not a demo one."""
    module = f"{__name__}.{name}.generator"
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name not in (module, f"{__name__}.{name}"):
            raise
        raise ValueError(f"source {name} has no simulator ({module}): it is a real system, not a demo one") from None


def ensure_server(settings: Settings, kind: str, database: str, extensions: tuple[str, ...] = ()) -> None:
    if kind == "mariadb":
        from citylake.services import mariadb

        mariadb.start(settings)
        mariadb.ensure_database(settings, database)
        mariadb.grant_reader(settings, database)
    else:
        from citylake.services import postgres

        postgres.start(settings)
        postgres.ensure_database(settings, database)
        if extensions:
            postgres.ensure_postgis(settings, database, extensions)
        postgres.grant_reader(settings, database)


def prepare_source(settings: Settings, name: str, advance: bool = False, scale: float | None = None,
                   seed: int | None = None, force: bool = False) -> dict:
    """Create the source at the configured scale if it is not there; with ``advance``, then apply the
    next day of changes (so the newest rows are today's, as in a live department system)."""
    from citylake.source_config import load_source

    source = load_source(name)
    generator = simulator(name)
    ensure_server(settings, source.kind, source.database, source.extensions)
    dsn = source.dsn(settings, owner=True)
    created = generator.create(dsn, settings.source_scale if scale is None else scale,
                               settings.seed if seed is None else seed, force=force)
    if not advance:
        return created
    return {**created, "advance": generator.advance(dsn)}

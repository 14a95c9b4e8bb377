"""``citylake``: start/stop the embedded services and run the pipeline's steps by hand."""
from __future__ import annotations

import argparse
import sys
import time

from citylake.settings import Settings, get_settings


def _step(label: str):
    print(f"==> {label}", flush=True)
    return time.monotonic()


def cmd_up(settings: Settings, args) -> None:
    from citylake.services import ckan, postgres

    t = _step(f"PostgreSQL on 127.0.0.1:{settings.pg_port}")
    postgres.start(settings)
    _step(f"CKAN 2.12 on {settings.ckan_url} (with Redis on 127.0.0.1:{settings.redis_port})")
    ckan.start(settings)
    print(f"    services up in {time.monotonic() - t:.1f}s under {settings.services_dir}")


def cmd_down(settings: Settings, args) -> None:
    from citylake.services import ckan, postgres, redis

    for name, stop in (("CKAN", ckan.stop), ("Redis", redis.stop), ("PostgreSQL", postgres.stop)):
        print(f"{'stopped' if stop(settings) else 'not running'}: {name}")


def cmd_status(settings: Settings, args) -> None:
    from citylake.services.process import port_open

    for name, port in (("PostgreSQL", settings.pg_port), ("Redis", settings.redis_port),
                       ("CKAN", settings.ckan_port)):
        print(f"{name:<11} 127.0.0.1:{port:<6} {'up' if port_open(port) else 'down'}")
    print(f"lakehouse   {settings.lakehouse}")


def cmd_source(settings: Settings, args) -> None:
    """Fill the Health department database (first time), or advance it by one day of changes."""
    from citylake.services import postgres
    from ingestion.sources.health import generator

    postgres.start(settings)
    postgres.ensure_database(settings, "health_dept")
    created = generator.create(settings.health_source_dsn, settings.source_scale, settings.seed)
    if created["created"]:
        print(f"    Health source created at scale {settings.source_scale}: {created}")
    elif getattr(args, "advance", False):
        print(f"    Health source advanced one day: {generator.advance(settings.health_source_dsn)}")


def cmd_run(settings: Settings, args) -> None:
    """Run the health_open_data DAG once, in-process, through Airflow (``airflow dags test``)."""
    from citylake.orchestration import airflow_cli

    airflow_cli(settings, "db", "migrate")
    airflow_cli(settings, "dags", "test", "health_open_data")


def verify_published(settings: Settings) -> list[str]:
    """Compare each published DataStore table with its mart, row for row."""
    import ckanapi

    from open_data.health import DATASETS
    from open_data.pipeline import read_mart
    from open_data.publish import to_records

    api = ckanapi.RemoteCKAN(settings.ckan_url, apikey=settings.ckan_api_token)
    lines = []
    for spec in DATASETS:
        mart = {r[spec.primary_key]: r for r in to_records(read_mart(settings, spec.mart))}
        pkg = api.action.package_show(id=spec.name)
        csv = next(r for r in pkg["resources"] if r["format"] == "CSV")
        rows, offset = {}, 0
        while True:
            page = api.action.datastore_search(resource_id=csv["id"], limit=32000, offset=offset)["records"]
            rows.update({r[spec.primary_key]: r for r in page})
            offset += len(page)
            if len(page) < 32000:
                break
        differing = [k for k, r in mart.items() if k not in rows or any(
            str(rows[k].get(c)) != str(v) and not (v is None and rows[k].get(c) is None)
            and not _same_value(rows[k].get(c), v) for c, v in r.items())]
        status = "matches" if len(rows) == len(mart) and not differing else f"DIFFERS ({len(differing)} rows)"
        lines.append(f"{spec.name}: DataStore {len(rows)} rows, mart {len(mart)} rows: {status}")
    return lines


def _same_value(served, expected) -> bool:
    try:
        return float(served) == float(expected)
    except (TypeError, ValueError):
        return str(served).replace(" ", "T") == str(expected).replace("+00:00", "")


def cmd_demo(settings: Settings, args) -> None:
    started = time.monotonic()
    cmd_up(settings, args)
    _step("Health department source database")
    args.advance = True
    cmd_source(settings, args)
    _step("Airflow: health_open_data (extract → silver → audit → dbt → audit → publish)")
    cmd_run(settings, args)
    _step("Checking the portal against the marts")
    lines = verify_published(settings)
    for line in lines:
        print(f"    {line}")
    print(f"""
Done in {time.monotonic() - started:.0f}s. Where to look:
  CKAN portal         {settings.ckan_url}/organization/so-y-te-tphcm
  datasets            {settings.ckan_url}/dataset/co-so-kham-chua-benh
                      {settings.ckan_url}/dataset/chung-chi-hanh-nghe-y
  lakehouse (Delta)   {settings.lakehouse}
  warehouse (DuckDB)  {settings.warehouse_duckdb}
  audit reports       {settings.reports_dir}
  Airflow logs        {settings.run_dir / 'airflow' / 'logs'}
Run `make demo` again to simulate the next day; `make down` stops the services.""")
    if any("DIFFERS" in line for line in lines):
        raise SystemExit("the portal does not match the marts")


def cmd_tables(settings: Settings, args) -> None:
    """The catalog with each table's current Delta version and row count."""
    from citylake import delta
    from citylake.catalog import TABLES

    print(f"{'table':<46} {'class':<11} {'version':>7} {'rows':>9}  owner")
    for t in TABLES:
        uri = t.uri(settings)
        version, rows = ("-", "-")
        if delta.exists(uri):
            table = delta.table(uri)
            version, rows = table.version(), table.count()
        pii = f"  personal data: {', '.join(t.personal_data)}" if t.personal_data else ""
        print(f"{t.layer + '/' + t.domain + '/' + t.name:<46} {t.classification:<11} {version:>7} "
              f"{rows:>9}  {t.owner}{pii}")


COMMANDS = {
    "tables": (cmd_tables, "list the catalog's tables with version and row count"),
    "demo": (cmd_demo, "start the services and run the end-to-end demo"),
    "source": (cmd_source, "create the Health department source database if missing"),
    "run": (cmd_run, "run the health_open_data DAG once through Airflow"),
    "up": (cmd_up, "start the embedded services (PostgreSQL, Redis, CKAN)"),
    "down": (cmd_down, "stop everything `up` started"),
    "status": (cmd_status, "which services are listening"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="citylake", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text)
    args = parser.parse_args(argv)
    COMMANDS[args.command][0](get_settings(), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

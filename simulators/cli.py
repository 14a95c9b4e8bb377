"""``citylake-sim``: the simulators — fill or advance the department databases, run the camera fleet,
and the end-to-end demo (services up, sources filled, cameras streamed, the DAGs run, the portal checked)."""
from __future__ import annotations

import argparse
import os
import sys
import time

from citylake.settings import Settings
from orchestration.cli import _step, cmd_models, cmd_run, cmd_up, dispatch


def cmd_source(settings: Settings, args) -> None:
    """Fill every department's source database (first time), or advance each by one day of changes."""
    from citylake.source_config import source_names
    from simulators.departments import prepare_source

    names = [args.name] if getattr(args, "name", None) else list(source_names())
    for name in names:
        t = time.monotonic()
        outcome = prepare_source(settings, name, advance=args.advance)
        print(f"    {name:<12} {outcome}  ({time.monotonic() - t:.1f}s)", flush=True)


def cmd_fleet(settings: Settings, args) -> None:
    """Simulate the camera fleet's events on the bus (live at a rate, or --replay-hours of history)."""
    from simulators.fleet import run_cli

    run_cli(settings, args)


def cmd_demo(settings: Settings, args) -> None:
    started = time.monotonic()
    cmd_up(settings, args)
    _step("Department source databases (PostgreSQL and MariaDB)")
    cmd_source(settings, argparse.Namespace(advance=True, name=None))
    _step("Cameras: the fleet's last hours and real footage through the vision pipeline, MQTT → bronze")
    from simulators import camera_feed

    cmd_models(settings, args)

    camera_feed.run(settings, hours=float(os.environ.get("CITYLAKE_DEMO_CAMERA_HOURS", "4")))
    _step("Airflow: every source's DAG, the camera analytics, then the marts, the report and the Health open data")
    cmd_run(settings, argparse.Namespace(dag=None))
    _step("Checking the portal against the marts")
    from open_data.health import DATASETS
    from open_data.pipeline import verify_published

    lines = verify_published(DATASETS, settings)
    for line in lines:
        print(f"    {line}")
    print(f"""
Done in {time.monotonic() - started:.0f}s. Where to look:
  CKAN portal         {settings.ckan_url}/organization/so-y-te-tphcm
  datasets            {settings.ckan_url}/dataset/co-so-kham-chua-benh
                      {settings.ckan_url}/dataset/chung-chi-hanh-nghe-y
  leadership report   {settings.reports_dir / 'leadership_report.html'}
  lakehouse (Delta)   {settings.lakehouse}
  camera events       {settings.lakehouse}/bronze/cameras/events  (live: `citylake stream` beside
                      `citylake-sim fleet --seconds 60`; MQTT on 127.0.0.1:{settings.mqtt_port})
  warehouse (DuckDB)  {settings.warehouse_duckdb}
  audit reports       {settings.reports_dir}
  Airflow logs        {settings.run_dir / 'airflow' / 'logs'}
Run `make demo` again to simulate the next day; `make down` stops the services.""")
    if any("DIFFERS" in line for line in lines):
        raise SystemExit("the portal does not match the marts")


COMMANDS = {
    "demo": (cmd_demo, "start the services and run the end-to-end demo"),
    "source": (cmd_source, "create the department source databases if missing (--advance: one more day)"),
    "fleet": (cmd_fleet, "simulate 1,000+ cameras' events on MQTT (live at a rate, or --replay-hours)"),
}

# the fleet's options live with it; imported only when `fleet` is the command run (paho, numpy)
LAZY_ARGUMENTS = {"fleet": "simulators.fleet"}


def _arguments(name: str, command: argparse.ArgumentParser) -> None:
    if name == "source":
        command.add_argument("--advance", action="store_true", help="if it exists, apply one more day of changes")
        command.add_argument("name", nargs="?", help="one source (default: all)")


def main(argv: list[str] | None = None) -> int:
    return dispatch("citylake-sim", __doc__, COMMANDS, LAZY_ARGUMENTS, _arguments, argv)


if __name__ == "__main__":
    sys.exit(main())

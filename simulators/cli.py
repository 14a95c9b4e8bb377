"""``citylake-sim``: the simulators — fill or advance the department databases, run the camera fleet,
and the end-to-end demo (services up, sources filled, cameras streamed, the DAGs run, the portal checked)."""
from __future__ import annotations

import argparse
import os
import sys
import time

from citylake.settings import Settings
from orchestration.cli import _step, cmd_models, cmd_up, dispatch


def cmd_source(settings: Settings, args) -> None:
    """Fill every department's and infrastructure owner's source database (first time), or advance each
    by one day of changes."""
    from citylake.source_config import infrastructure_names, source_names
    from simulators.departments import prepare_source

    names = [args.name] if getattr(args, "name", None) else [*source_names(), *infrastructure_names()]
    for name in names:
        t = time.monotonic()
        outcome = prepare_source(settings, name, advance=args.advance)
        print(f"    {name:<12} {outcome}  ({time.monotonic() - t:.1f}s)", flush=True)


def cmd_fleet(settings: Settings, args) -> None:
    """Simulate the camera fleet's events on the bus (live at a rate, or --replay-hours of history)."""
    from simulators.fleet import run_cli

    run_cli(settings, args)


def cmd_demo(settings: Settings, args) -> None:
    """The city's day, condensed: services up, one more day in every department, the cameras'
    last hours streamed, then the day's DAGs through the live scheduler, and the portal checked."""
    from citylake.services import airflow, jupyter, ogc_api
    from orchestration.cli import run_through_scheduler

    started = time.monotonic()
    cmd_up(settings, args)
    t = _step("Department source databases (PostgreSQL and MariaDB): one more day of changes")
    cmd_source(settings, argparse.Namespace(advance=True, name=None))
    print(f"    done in {time.monotonic() - t:.0f}s")
    _step("Cameras: the fleet's last hours and real footage through the vision pipeline, MQTT → bronze")
    from simulators import camera_feed

    cmd_models(settings, args)
    camera_feed.run(settings, hours=float(os.environ.get("CITYLAKE_DEMO_CAMERA_HOURS", "4")))
    t = _step(f"Airflow ({airflow.api_url(settings)}): the day's DAGs through the scheduler — every source "
              f"and the cameras, then what their Assets set off (marts, report, open data)")
    day = run_through_scheduler(settings)
    freshness = run_through_scheduler(settings, "source_freshness")
    print(f"    done in {time.monotonic() - t:.0f}s")
    # under a minute at demo scale; the forecasts (minutes) run from the marts' Assets in the background
    t = _step("Simulation and forecasting centre: monitoring sites for K = 100, 200, 300 (the portal and the "
              "report follow)")
    sites = run_through_scheduler(settings, "site_selection")
    print(f"    done in {time.monotonic() - t:.0f}s")
    _step("Checking the portal against the marts")
    from open_data.pipeline import verify_published
    from open_data.registry import all_datasets

    lines = verify_published(tuple(all_datasets()), settings)
    for line in lines:
        print(f"    {line}")
    print(f"""
Done in {time.monotonic() - started:.0f}s. Where to look:
  Airflow             {airflow.api_url(settings)}   user {airflow.ADMIN}, password {airflow.admin_password(settings)}
                      (kept in {airflow.admin_password_file(settings)}, readable by its owner only)
  JupyterLab          {jupyter.url(settings, with_token=True)}
  CKAN portal         {settings.ckan_url}/   (every department: {settings.ckan_url}/organization/)
  infrastructure map  {ogc_api.url(settings)}   (OGC API: {settings.ogc_api_url}/collections)
  leadership report   {settings.reports_dir / 'leadership_report.html'}
  lakehouse (Delta)   {settings.lakehouse}   (`citylake tables` lists every table)
  warehouse (DuckDB)  {settings.warehouse_duckdb}   (published marts, read-only for analysts)
  audit reports       {settings.reports_dir / 'gx'}
  logs                {airflow.home(settings) / 'logs'} (tasks), {settings.services_dir} (services)
`citylake status` shows each DAG's last run and each source's freshness. Run `make demo` again to
simulate the next day; `make down` stops everything.""")
    problems = [line for line in lines if "DIFFERS" in line or "NOT PUBLISHED" in line]
    if not day.ok or not freshness.ok or not sites.ok or problems:
        raise SystemExit("the demo's run had failures: " + "; ".join([*day.summary(), *sites.summary(), *problems]))


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

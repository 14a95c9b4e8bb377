"""``citylake``: start/stop the embedded services and run the pipeline's steps by hand.

The simulators (department databases, the camera fleet, the demo) have their own: ``citylake-sim``."""
from __future__ import annotations

import argparse
import sys
import time

from citylake.settings import Settings, get_settings


def _step(label: str):
    print(f"==> {label}", flush=True)
    return time.monotonic()


# every service `up` starts, in order; `down` stops them in reverse
SERVICES = ("postgres", "mariadb", "mosquitto", "ckan", "spark_connect", "airflow", "jupyter", "ogc_api")


def _service_lines(settings: Settings) -> list[tuple[str, str, bool]]:
    """(what, where, up) for each service of the deployment."""
    from citylake.services import airflow, jupyter, ogc_api
    from citylake.services.process import port_open

    lines = [(name, f"127.0.0.1:{port}", port_open(port)) for name, port in (
        ("PostgreSQL", settings.pg_port), ("MariaDB", settings.mariadb_port), ("Mosquitto", settings.mqtt_port),
        ("Redis", settings.redis_port))]
    lines.append(("CKAN", settings.ckan_url, port_open(settings.ckan_port)))
    if not settings.spark_remote:
        lines.append(("Spark Connect", f"sc://127.0.0.1:{settings.spark_connect_port}",
                      port_open(settings.spark_connect_port)))
    for component, alive in airflow.status(settings).items():
        where = airflow.api_url(settings) if component == "api-server" else "(process)"
        lines.append((f"Airflow {component}", where, alive))
    lines.append(("JupyterLab", jupyter.url(settings), port_open(settings.jupyter_port)))
    lines.append(("Infrastructure map", ogc_api.url(settings), port_open(settings.ogc_api_port)))
    return lines


def cmd_up(settings: Settings, args) -> None:
    """Start every service that is not running (a crashed one — the scheduler, say — is started again)."""
    import importlib

    t = _step(f"Services under {settings.services_dir}, on 127.0.0.1 ports {settings.port_base}+")
    for name in SERVICES:
        started = time.monotonic()
        outcome = importlib.import_module(f"citylake.services.{name}").start(settings)
        if outcome:  # Airflow names the components it had to (re)start
            print(f"    {name}: started {', '.join(outcome)} ({time.monotonic() - started:.1f}s)", flush=True)
    for what, where, up in _service_lines(settings):
        print(f"    {what:<22} {where:<40} {'up' if up else 'DOWN'}")
    print(f"    up in {time.monotonic() - t:.1f}s")


def cmd_down(settings: Settings, args) -> None:
    import importlib

    from citylake.services import redis

    for name in reversed(SERVICES):
        stopped = importlib.import_module(f"citylake.services.{name}").stop(settings)
        if name == "ckan":
            stopped = redis.stop(settings) or stopped
        print(f"{'stopped' if stopped else 'not running'}: {name}")


def cmd_status(settings: Settings, args) -> None:
    """Services, each DAG's last run (from Airflow's REST API) and each source's freshness."""
    for what, where, up in _service_lines(settings):
        print(f"{what:<22} {where:<40} {'up' if up else 'DOWN'}")
    print(f"lakehouse              {settings.lakehouse}")
    _dag_status(settings)
    _freshness_status(settings)


def _dag_status(settings: Settings) -> None:
    from orchestration.api import AirflowAPI, AirflowAPIError

    try:
        api = AirflowAPI.for_settings(settings)
        dags = api.dags()
    except (AirflowAPIError, OSError) as exc:
        print(f"\nDAGs: Airflow's API does not answer ({type(exc).__name__}); `citylake up` starts it")
        return
    print(f"\n{'DAG':<24} {'schedule':<16} {'last run':<26} {'state':<10} paused")
    for dag in sorted(dags, key=lambda d: d["dag_id"]):
        runs = api.runs(dag["dag_id"], limit=1)
        last = runs[0] if runs else {}
        when = (last.get("end_date") or last.get("start_date") or last.get("run_after") or "never")[:19]
        print(f"{dag['dag_id']:<24} {(dag.get('timetable_summary') or '-')[:16]:<16} {when:<26} "
              f"{last.get('state', '-'):<10} {'yes' if dag['is_paused'] else 'no'}")


def _freshness_status(settings: Settings) -> None:
    from ingestion.freshness import check

    print(f"\n{'source':<14} {'fresh':<6} reason")
    for row in check(settings).to_pylist():
        print(f"{row['source']:<14} {'late' if row['late'] else 'ok':<6} {row['reason']}")


def cmd_run(settings: Settings, args) -> None:
    """A day's work through the live scheduler: trigger the DAGs that start it (every source's and
    the cameras', or the ones named) over the REST API and follow what their Assets set off. A failed
    DAG does not stop the others; the run ends with what failed and where its log is, and exits 1."""
    day = run_through_scheduler(settings, getattr(args, "dag", None) or None)
    if not day.ok:
        failed = sorted({d for (d, _), r in day.runs.items() if r["state"] != "success"})
        raise SystemExit("\n".join([f"citylake run: {len(failed)} of {len(day.runs)} DAG runs did not succeed "
                                     f"({', '.join(failed)}); the others ran", *(f"  {f}" for f in day.failures)]))


def run_through_scheduler(settings: Settings, dag: str | list[str] | None = None):
    """Trigger ``dag`` (one or several; by default the day's root DAGs) and follow everything it sets
    off; prints progress and a summary, returns the DayRun. A failed DAG does not stop the others."""
    from citylake.services import airflow
    from orchestration.api import AirflowAPI
    from orchestration.defaults import BACKGROUND_TAG
    from orchestration.run import run_day

    api = AirflowAPI.for_settings(settings)
    errors = api.import_errors()
    if errors:
        raise SystemExit("DAG import errors:\n" + "\n".join(f"  {e['filename']}: {e['stack_trace'][-400:]}"
                                                          for e in errors))
    dags = {d["dag_id"]: d for d in api.dags()}
    if dag:
        roots = [dag] if isinstance(dag, str) else list(dag)
        unknown = [d for d in roots if d not in dags]
        if unknown:
            raise SystemExit(f"no DAG {', '.join(map(repr, unknown))}; there are: {', '.join(sorted(dags))}")
    else:
        roots = [d for d, info in dags.items() if any(t["name"] == "ingestion" for t in info["tags"])]
    # whatever the scheduler starts meanwhile is followed: the runs the roots' Assets set off, and a
    # scheduled run that falls in the window (it is real work on the same tables)
    followers = [d for d in dags if d not in roots]
    paused = [d for d in [*roots, *followers] if dags[d]["is_paused"]]
    if paused:
        print(f"    paused, so not run: {', '.join(paused)}")
    # minutes-long DAGs (the forecasts) run from their Assets all the same; the day does not wait for them
    background = [d for d in followers if any(t["name"] == BACKGROUND_TAG for t in dags[d]["tags"])]
    if background:
        print(f"    run by the scheduler in the background, not waited for: {', '.join(background)}")
        followers = [d for d in followers if d not in background]
    day = run_day(api, [r for r in roots if r not in paused], [f for f in followers if f not in paused],
                  airflow.home(settings) / "logs")
    for line in day.summary():
        print(f"    {line}")
    return day


def cmd_tables(settings: Settings, args) -> None:
    """The tables of this deployment's lakehouse, as the catalogue describes them, with their current
    Delta version and row count; then the catalogued tables no run has written here yet."""
    from citylake import delta
    from citylake.catalog import all_tables

    print(f"{'table':<46} {'class':<11} {'every':<8} {'version':>7} {'rows':>9}  owner")
    waiting = []
    for t in all_tables():
        uri = t.uri(settings)
        if not delta.exists(uri):
            waiting.append(f"{t.layer}/{t.domain}/{t.name}")
            continue
        table = delta.table(uri)
        pii = f"  personal data: {', '.join(t.personal_data)}" if t.personal_data else ""
        print(f"{t.layer + '/' + t.domain + '/' + t.name:<46} {t.classification:<11} "
              f"{t.update_frequency or '-':<8} {table.version():>7} "
              f"{table.count():>9}  {t.owner}{pii}")
    if waiting:
        print(f"\nnot written yet in this deployment ({len(waiting)}): {', '.join(waiting)}")


def cmd_stream(settings: Settings, args) -> None:
    """Camera events from MQTT into bronze Delta (exactly once), or --compact their small files."""
    import logging

    from ingestion.stream.consumer import run_from_args

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    run_from_args(settings, args)


def cmd_vision(settings: Settings, args) -> None:
    """Analyse camera streams (files, RTSP, HTTP) and publish their events to Mosquitto."""
    from vision.runner import exit_status, run_from_args

    status = exit_status(run_from_args(settings, args))
    if status:
        raise SystemExit(status)


def cmd_models(settings: Settings, args) -> None:
    """Fetch, convert and verify the vision models (idempotent: checksums match → nothing to do)."""
    from vision import models

    t = _step(f"Vision models in {models.models_dir()}")
    for name, path in models.ensure_all(progress=lambda line: print(f"    {line}", flush=True)).items():
        print(f"    {name:<14} {path}  sha256 {models.MODELS[name].onnx_sha256[:12]}… ok", flush=True)
    from vision.quantize import ensure_int8  # derived from coco_detector: `citylake vision`'s default

    path = ensure_int8(progress=lambda line: print(f"    {line}", flush=True))
    print(f"    {'coco_int8':<14} {path}  (static QDQ, rebuilt when its recipe changes) ok", flush=True)
    print(f"    done in {time.monotonic() - t:.1f}s")


COMMANDS = {
    "tables": (cmd_tables, "list the catalog's tables with version and row count"),
    "run": (cmd_run, "trigger the day's DAGs through Airflow's REST API and follow them to the end"),
    "up": (cmd_up, "start (or restart what crashed of) the services: databases, MQTT, CKAN, Spark, Airflow, "
                   "JupyterLab"),
    "down": (cmd_down, "stop everything `up` started"),
    "status": (cmd_status, "services, each DAG's last run, each source's freshness"),
    "models": (cmd_models, "download, convert (to ONNX) and verify the vision models"),
    "vision": (cmd_vision, "analyse camera streams and publish their events over MQTT"),
    "stream": (cmd_stream, "consume camera events from MQTT into bronze Delta (--compact: compact them)"),
}


# where the camera commands' options are defined: imported only when that command is run (the
# consumer and the vision runner pull in pyarrow, numpy and paho, ~0.8 s every other command need not pay)
LAZY_ARGUMENTS = {"stream": "ingestion.stream.consumer", "vision": "vision.runner"}


def _arguments(name: str, command: argparse.ArgumentParser) -> None:
    if name == "run":
        command.add_argument("dag", nargs="*", help="DAG ids (default: every source's and the cameras')")


def dispatch(prog: str, description: str | None, commands: dict, lazy_arguments: dict[str, str],
             arguments, argv: list[str] | None = None) -> int:
    """Parse ``argv`` against ``commands`` (name → (function, help)) and run the chosen one with the
    settings; ``arguments(name, parser)`` adds a command's own options, ``lazy_arguments`` names the
    module whose ``add_arguments`` does, imported only when that command is the one run."""
    import importlib

    argv = sys.argv[1:] if argv is None else argv
    chosen = next((a for a in argv if not a.startswith("-")), None)
    parser = argparse.ArgumentParser(prog=prog, description=description)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_, help_text) in commands.items():
        command = sub.add_parser(name, help=help_text)
        arguments(name, command)
        if name in lazy_arguments and name == chosen:
            importlib.import_module(lazy_arguments[name]).add_arguments(command)
    args = parser.parse_args(argv)
    commands[args.command][0](get_settings(), args)
    return 0


def main(argv: list[str] | None = None) -> int:
    return dispatch("citylake", __doc__, COMMANDS, LAZY_ARGUMENTS, _arguments, argv)


if __name__ == "__main__":
    sys.exit(main())

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


def cmd_up(settings: Settings, args) -> None:
    from citylake.services import ckan, mariadb, mosquitto, postgres

    t = _step(f"PostgreSQL on 127.0.0.1:{settings.pg_port}, MariaDB on 127.0.0.1:{settings.mariadb_port}, "
              f"Mosquitto on 127.0.0.1:{settings.mqtt_port}")
    postgres.start(settings)
    mariadb.start(settings)
    mosquitto.start(settings)
    _step(f"CKAN 2.12 on {settings.ckan_url} (with Redis on 127.0.0.1:{settings.redis_port})")
    ckan.start(settings)
    print(f"    services up in {time.monotonic() - t:.1f}s under {settings.services_dir}")


def cmd_down(settings: Settings, args) -> None:
    from citylake.services import ckan, mariadb, mosquitto, postgres, redis

    for name, stop in (("CKAN", ckan.stop), ("Redis", redis.stop), ("Mosquitto", mosquitto.stop),
                       ("MariaDB", mariadb.stop),
                       ("PostgreSQL", postgres.stop)):
        print(f"{'stopped' if stop(settings) else 'not running'}: {name}")


def cmd_status(settings: Settings, args) -> None:
    from citylake.services.process import port_open

    for name, port in (("PostgreSQL", settings.pg_port), ("MariaDB", settings.mariadb_port),
                       ("Redis", settings.redis_port), ("CKAN", settings.ckan_port),
                       ("Mosquitto", settings.mqtt_port)):
        print(f"{name:<11} 127.0.0.1:{port:<6} {'up' if port_open(port) else 'down'}")
    print(f"lakehouse   {settings.lakehouse}")


def cmd_run(settings: Settings, args) -> None:
    """Run the DAGs once through Airflow, in dependency order, in this process (``dag.test()``):
    one Airflow start-up, one DAG parse and one Spark session for the whole day's run."""
    from orchestration import airflow_env

    airflow_env.airflow_cli(settings, "db", "migrate")
    airflow_env.apply(settings)
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(airflow_env.DAGS_FOLDER))
    if bag.import_errors:
        raise SystemExit(f"DAG import errors: {bag.import_errors}")
    dags = [args.dag] if getattr(args, "dag", None) else airflow_env.dag_run_order()
    for dag_id in dags:
        t = _step(f"Airflow: {dag_id}")
        run = bag.dags[dag_id].test()
        failed = [ti.task_id for ti in run.get_task_instances() if ti.state != "success"]
        print(f"    {dag_id}: {run.state} in {time.monotonic() - t:.0f}s", flush=True)
        if run.state != "success":
            logs = settings.run_dir / "airflow" / "logs"
            raise SystemExit(f"{dag_id} failed ({', '.join(failed)}); its logs: {logs}")


def cmd_tables(settings: Settings, args) -> None:
    """The catalog with each table's current Delta version and row count."""
    from citylake import delta
    from citylake.catalog import all_tables

    print(f"{'table':<46} {'class':<11} {'every':<8} {'version':>7} {'rows':>9}  owner")
    for t in all_tables():
        uri = t.uri(settings)
        version, rows = ("-", "-")
        if delta.exists(uri):
            table = delta.table(uri)
            version, rows = table.version(), table.count()
        pii = f"  personal data: {', '.join(t.personal_data)}" if t.personal_data else ""
        print(f"{t.layer + '/' + t.domain + '/' + t.name:<46} {t.classification:<11} "
              f"{t.update_frequency or '-':<8} {version:>7} "
              f"{rows:>9}  {t.owner}{pii}")


def cmd_stream(settings: Settings, args) -> None:
    """Camera events from MQTT into bronze Delta (exactly once), or --compact their small files."""
    import logging

    from ingestion.stream.consumer import run_from_args

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    run_from_args(settings, args)


def cmd_vision(settings: Settings, args) -> None:
    """Analyse camera streams (files, RTSP, HTTP) and publish their events to Mosquitto."""
    from vision.runner import run_from_args

    run_from_args(settings, args)


def cmd_models(settings: Settings, args) -> None:
    """Fetch, convert and verify the vision models (idempotent: checksums match → nothing to do)."""
    from vision import models

    t = _step(f"Vision models in {models.models_dir()}")
    for name, path in models.ensure_all(progress=lambda line: print(f"    {line}", flush=True)).items():
        print(f"    {name:<14} {path}  sha256 {models.MODELS[name].onnx_sha256[:12]}… ok", flush=True)
    print(f"    done in {time.monotonic() - t:.1f}s")


COMMANDS = {
    "tables": (cmd_tables, "list the catalog's tables with version and row count"),
    "run": (cmd_run, "run the DAGs once through Airflow, in dependency order"),
    "up": (cmd_up, "start the embedded services (PostgreSQL, MariaDB, Redis, Mosquitto, CKAN)"),
    "down": (cmd_down, "stop everything `up` started"),
    "status": (cmd_status, "which services are listening"),
    "models": (cmd_models, "download, convert (to ONNX) and verify the vision models"),
    "vision": (cmd_vision, "analyse camera streams and publish their events over MQTT"),
    "stream": (cmd_stream, "consume camera events from MQTT into bronze Delta (--compact: compact them)"),
}


# where the camera commands' options are defined: imported only when that command is run (the
# consumer and the vision runner pull in pyarrow, numpy and paho, ~0.8 s every other command need not pay)
LAZY_ARGUMENTS = {"stream": "ingestion.stream.consumer", "vision": "vision.runner"}


def _arguments(name: str, command: argparse.ArgumentParser) -> None:
    if name == "run":
        command.add_argument("dag", nargs="?", help="one DAG id (default: all, in order)")


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

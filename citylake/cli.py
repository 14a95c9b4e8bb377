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


def cmd_demo(settings: Settings, args) -> None:
    cmd_up(settings, args)
    print(f"\nCKAN portal: {settings.ckan_url}\nlakehouse:   {settings.lakehouse}")


COMMANDS = {
    "demo": (cmd_demo, "start the services and run the end-to-end demo"),
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

"""A private Mosquitto broker: the camera event stream (MQTT 3.1.1/5, QoS 1, persistent sessions).

Persistence is on, so a consumer's persistent session keeps its unacknowledged QoS 1 messages
across a broker restart as well as across the consumer's own crash.
"""
from __future__ import annotations

import os
import pwd
import shutil
from pathlib import Path

from citylake.services.process import ensure_ours, pid_alive, start_daemon, stop_daemon, wait_for_port
from citylake.settings import Settings


def _binary() -> str:
    for candidate in ("/usr/sbin/mosquitto", shutil.which("mosquitto")):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError("mosquitto not found: install the mosquitto package (make setup)")


def _dir(settings: Settings) -> Path:
    return settings.services_dir / "mosquitto"


def _pidfile(settings: Settings) -> Path:
    return _dir(settings) / "mosquitto.pid"


def config(settings: Settings) -> str:
    workdir = _dir(settings)
    return "\n".join([
        f"listener {settings.mqtt_port} 127.0.0.1",
        "allow_anonymous true",
        "persistence true",
        f"persistence_location {workdir}/",
        "autosave_interval 5",
        # a camera fleet and a consumer that was down a while: keep what it has not acknowledged
        "max_queued_messages 2000000",
        "max_inflight_messages 1000",
        "max_packet_size 1048576",
        "log_dest stdout",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "",
    ])


def _writable_by_broker(workdir: Path) -> None:
    """Started as root, Mosquitto drops to the ``mosquitto`` user: it must own its persistence folder
    or every autosave fails and a broker restart loses the consumers' sessions."""
    if os.geteuid() != 0:
        return
    try:
        pwd.getpwnam("mosquitto")
    except KeyError:
        return
    shutil.chown(workdir, "mosquitto", "mosquitto")
    for item in workdir.iterdir():
        if item.name.startswith("mosquitto.db"):
            shutil.chown(item, "mosquitto", "mosquitto")


def start(settings: Settings) -> None:
    if ensure_ours(settings.mqtt_port, "Mosquitto", pid_alive(_pidfile(settings))):
        return
    workdir = _dir(settings)
    workdir.mkdir(parents=True, exist_ok=True)
    _writable_by_broker(workdir)
    conf = workdir / "mosquitto.conf"
    conf.write_text(config(settings))
    log = workdir / "mosquitto.log"
    start_daemon([_binary(), "-c", str(conf)], _pidfile(settings), log)
    wait_for_port(settings.mqtt_port, 20, "Mosquitto", log)


def stop(settings: Settings) -> bool:
    return stop_daemon(_pidfile(settings))

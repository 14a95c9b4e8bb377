"""A private Mosquitto broker: the camera event stream (MQTT 3.1.1/5, QoS 1, persistent sessions).

Persistence is on, so a consumer's persistent session keeps its unacknowledged QoS 1 messages
across a broker restart as well as across the consumer's own crash.
"""
from __future__ import annotations

import base64
import hashlib
import os
import pwd
import re
import shutil
import signal
from pathlib import Path

from citylake import events
from citylake.services.permissions import secure_run_dir
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


# the platform's own clients: the stream consumer reads every camera topic; the vision runner (an
# edge gateway for the cameras it decodes) and the fleet simulator (a stand-in for many cameras)
# publish on camera topics only. A camera device provisioned on its own (provision_camera) is
# its own user and may publish on its own topics alone.
INGEST, VISION, FLEET = "citylake-ingest", "citylake-vision", "citylake-fleet"
CLIENTS = (INGEST, VISION, FLEET)


def acl() -> str:
    root = events.TOPIC_ROOT
    return "\n".join([
        f"user {INGEST}", f"topic read {root}/#", "",
        f"user {VISION}", f"topic write {root}/+/+", "",
        f"user {FLEET}", f"topic write {root}/+/+", "",
        f"pattern write {root}/%u/+", "",
    ])


def _hash(password: str) -> str:
    """Mosquitto 2's password-file hash (``$7$``: PBKDF2-SHA512, 101 rounds, 12-byte salt), made here
    so no password ever sits on a command line."""
    salt = os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, 101)
    return f"$7$101${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def _cameras_file(settings: Settings) -> Path:
    return settings.secrets_dir / "mqtt" / "provisioned_cameras"


def camera_credentials(settings: Settings, camera_id: str) -> tuple[str, str]:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", camera_id):
        raise ValueError(f"camera id {camera_id!r} cannot be an MQTT user (letters, digits, . _ - only)")
    return camera_id, settings.secret(f"mqtt/cameras/{camera_id}")


def provision_camera(settings: Settings, camera_id: str) -> tuple[str, str]:
    """Give one camera device its own account (it may publish on its own topics only) and have a
    running broker reload its users; returns the camera's (username, password)."""
    credentials = camera_credentials(settings, camera_id)
    known = set(_cameras_file(settings).read_text().split()) if _cameras_file(settings).exists() else set()
    if camera_id not in known:
        with _cameras_file(settings).open("a") as out:
            out.write(camera_id + "\n")
    _write_auth(settings)
    pid = _pidfile(settings)
    if pid_alive(pid):
        os.kill(int(pid.read_text().split()[0]), signal.SIGHUP)
    return credentials


def _write_auth(settings: Settings) -> None:
    workdir = _dir(settings)
    users = [settings.mqtt_credentials(client) for client in CLIENTS]
    if _cameras_file(settings).exists():
        users += [camera_credentials(settings, cam) for cam in _cameras_file(settings).read_text().split()]
    for name, text in (("passwords", "".join(f"{u}:{_hash(p)}\n" for u, p in users)), ("acl", acl())):
        path = workdir / name
        path.write_text(text)
        path.chmod(0o600)
        _owned_by_broker(path)


def config(settings: Settings) -> str:
    workdir = _dir(settings)
    return "\n".join([
        f"listener {settings.mqtt_port} 127.0.0.1",
        "allow_anonymous false",
        f"password_file {workdir}/passwords",
        f"acl_file {workdir}/acl",
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


def _owned_by_broker(path: Path) -> None:
    if os.geteuid() == 0:
        try:
            shutil.chown(path, "mosquitto", "mosquitto")
        except LookupError:
            pass


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
    secure_run_dir(settings)
    workdir = _dir(settings)
    workdir.mkdir(parents=True, exist_ok=True)
    workdir.chmod(0o700)
    _writable_by_broker(workdir)
    _write_auth(settings)
    conf = workdir / "mosquitto.conf"
    conf.write_text(config(settings))
    log = workdir / "mosquitto.log"
    start_daemon([_binary(), "-c", str(conf)], _pidfile(settings), log)
    wait_for_port(settings.mqtt_port, 20, "Mosquitto", log)


def stop(settings: Settings) -> bool:
    return stop_daemon(_pidfile(settings))

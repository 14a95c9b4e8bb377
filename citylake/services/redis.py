"""A private Redis for CKAN's cache and job queue."""
from __future__ import annotations

import os
import shutil
import subprocess

from citylake.services.permissions import secure_run_dir
from citylake.services.process import ensure_ours, pid_alive, port_open, wait_for_port
from citylake.settings import Settings


def start(settings: Settings) -> None:
    pidfile = settings.services_dir / "redis" / "redis.pid"
    if ensure_ours(settings.redis_port, "Redis", pid_alive(pidfile)):
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server not found: install the redis-server package (make setup)")
    secure_run_dir(settings)
    workdir = settings.services_dir / "redis"
    workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # the password goes in on stdin, never on a command line other users can see in ps
    conf = f"requirepass {settings.redis_password}\n"
    subprocess.run([binary, "-", "--port", str(settings.redis_port), "--bind", "127.0.0.1",
                    "--daemonize", "yes", "--save", "", "--appendonly", "no",
                    "--dir", str(workdir), "--pidfile", str(workdir / "redis.pid"),
                    "--logfile", str(workdir / "redis.log")], input=conf, text=True, check=True,
                   stdout=subprocess.DEVNULL)
    wait_for_port(settings.redis_port, 20, "Redis", workdir / "redis.log")


def stop(settings: Settings) -> bool:
    if not port_open(settings.redis_port):
        return False
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(settings.redis_port), "shutdown", "nosave"],
                   check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "REDISCLI_AUTH": settings.redis_password})


def url(settings: Settings, db: int = 0) -> str:
    return f"redis://:{settings.redis_password}@127.0.0.1:{settings.redis_port}/{db}"
    return True

"""Starting, waiting for and stopping background daemons by process group."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


class PortTaken(RuntimeError):
    """Something else listens where this deployment's service should."""


def ensure_ours(port: int, what: str, ours: bool) -> bool:
    """True when our own instance already listens on ``port``; an error when a stranger does."""
    if not port_open(port):
        return False
    if not ours:
        raise PortTaken(f"127.0.0.1:{port} is taken by a process that is not this deployment's {what}; "
                        f"stop it, or give this deployment other ports with CITYLAKE_PORT_BASE")
    return True


def wait_for_port(port: int, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        time.sleep(0.3)
    tail = ""
    if log is not None and log.exists():
        tail = "\n" + "\n".join(log.read_text(errors="replace").splitlines()[-30:])
    raise TimeoutError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f}s{tail}")


def start_daemon(cmd: list[str], pidfile: Path, log: Path, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> int:
    """Start ``cmd`` in a new session so that stopping it takes all its children too."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, env=env, cwd=cwd)
    pidfile.write_text(str(proc.pid))
    return proc.pid


def pid_alive(pidfile: Path) -> bool:
    try:
        pid = int(pidfile.read_text())
        _reap(pid)  # a daemon this process started and that died is a zombie until reaped
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return False
    return True


def _reap(pid: int) -> None:
    """A daemon this process started stays a zombie (still signalable) until it is reaped."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def stop_daemon(pidfile: Path, timeout: float = 15.0) -> bool:
    """SIGTERM the process group, then SIGKILL whatever is left. True if something was running."""
    try:
        pid = int(pidfile.read_text())
    except (FileNotFoundError, ValueError):
        return False
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        pidfile.unlink(missing_ok=True)
        return False
    os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            break
        _reap(pid)
        time.sleep(0.2)
    else:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    pidfile.unlink(missing_ok=True)
    return True

"""The run folder is the deployment's: other local users can neither list nor read it.

The folder itself stays enterable (0711) because PostgreSQL and Mosquitto run as their own system
users and must reach their data folders under ``services/``; everything else in it (the lakehouse,
the warehouse, secrets, logs, reports) is the owner's alone.
"""
from __future__ import annotations

import os
from pathlib import Path

from citylake.settings import Settings, make_private_dir

# the data folders of services that drop to a system user of their own: that user owns them
_SERVICE_USERS = {"postgres", "mosquitto"}


def _private_tree(path: Path) -> None:
    if path.is_symlink():
        return
    if path.is_dir():
        path.chmod(0o700)
    elif path.exists():
        path.chmod(path.stat().st_mode & 0o700)


def secure_run_dir(settings: Settings) -> None:
    """Owner-only permissions on the run folder and everything directly under it (idempotent)."""
    run_dir = settings.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    run_dir.chmod(0o711)
    me = os.geteuid()
    for child in run_dir.iterdir():
        if child.name == "services" and child.is_dir():
            child.chmod(0o711)
            for item in child.iterdir():
                if item.name not in _SERVICE_USERS and item.stat().st_uid == me:
                    _private_tree(item)
        elif child.stat().st_uid == me:
            _private_tree(child)
    make_private_dir(settings.secrets_dir)

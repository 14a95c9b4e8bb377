"""The analysts' JupyterLab: loopback only, a token, the project's kernel, the demo's lakehouse.

The notebooks in ``notebooks/`` open against this deployment: the server (and so every kernel)
runs with the deployment's settings in its environment, so ``Settings()`` in a notebook finds the
same lakehouse, warehouse and Spark as the DAGs. Nothing is fetched from the internet: the news and
update checks JupyterLab would make are switched off.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from citylake.services import spark_connect
from citylake.services.process import ensure_ours, pid_alive, start_daemon, stop_daemon, wait_for_port
from citylake.settings import REPO_ROOT, Settings

NOTEBOOKS = REPO_ROOT / "notebooks"
# JupyterLab's own settings, fixed for every user of this server: no news feed, no update check
OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}


def _dir(settings: Settings) -> Path:
    return settings.services_dir / "jupyter"


def _pidfile(settings: Settings) -> Path:
    return _dir(settings) / "jupyter.pid"


def token(settings: Settings) -> str:
    return settings.secret("jupyter_token")


def url(settings: Settings, with_token: bool = False) -> str:
    base = f"http://127.0.0.1:{settings.jupyter_port}/lab"
    return f"{base}?token={token(settings)}" if with_token else base


def start(settings: Settings) -> None:
    if ensure_ours(settings.jupyter_port, "JupyterLab", pid_alive(_pidfile(settings))):
        return
    workdir = _dir(settings)
    (workdir / "settings").mkdir(parents=True, exist_ok=True)
    (workdir / "settings" / "overrides.json").write_text(json.dumps(OVERRIDES, indent=2))
    exe = str(Path(sys.executable).parent / "jupyter")
    env = {**os.environ, **settings.env(), **spark_connect.client_env(settings),
           "JUPYTER_CONFIG_DIR": str(workdir / "config"), "JUPYTER_RUNTIME_DIR": str(workdir / "runtime"),
           "JUPYTER_DATA_DIR": str(workdir / "data"),
           # the lab's settings overrides live in the server's app settings dir
           "JUPYTERLAB_SETTINGS_DIR": str(workdir / "user-settings"),
           "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
    args = [exe, "lab", "--no-browser", "--ip=127.0.0.1", f"--port={settings.jupyter_port}",
            "--port-retries=0", f"--notebook-dir={NOTEBOOKS}", f"--IdentityProvider.token={token(settings)}",
            "--ServerApp.allow_remote_access=False", "--LabApp.check_for_updates_class="
            "jupyterlab.handlers.announcements.NeverCheckForUpdate", "--LabApp.news_url=",
            f"--LabServerApp.app_settings_dir={workdir / 'settings'}"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    start_daemon(args, _pidfile(settings), workdir / "jupyter.log", env=env, cwd=NOTEBOOKS)
    wait_for_port(settings.jupyter_port, 90, "JupyterLab", workdir / "jupyter.log")


def stop(settings: Settings) -> bool:
    return stop_daemon(_pidfile(settings))

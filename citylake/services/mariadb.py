"""A private MariaDB server: the departments whose systems run on MySQL/MariaDB (land registry)."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

from citylake.services.process import ensure_ours, pid_alive, start_daemon, stop_daemon, wait_for_port
from citylake.settings import Settings


def _bin(*names: str) -> str:
    for name in names:
        for folder in ("/usr/sbin", "/usr/bin"):
            if Path(folder, name).exists():
                return str(Path(folder, name))
        if shutil.which(name):
            return shutil.which(name)
    raise RuntimeError(f"MariaDB's {names[0]} not found: install the mariadb-server package (make setup)")


def data_dir(settings: Settings) -> Path:
    return settings.services_dir / "mariadb"


def _pidfile(settings: Settings) -> Path:
    return settings.services_dir / "mariadb.pid"


def start(settings: Settings) -> None:
    datadir = data_dir(settings)
    log = settings.services_dir / "mariadb.log"
    if ensure_ours(settings.mariadb_port, "MariaDB", pid_alive(_pidfile(settings))):
        return
    datadir.mkdir(parents=True, exist_ok=True)
    user = ["--user=root"] if os.geteuid() == 0 else []
    if not (datadir / "mysql").exists():
        subprocess.run([_bin("mariadb-install-db", "mysql_install_db"), "--no-defaults", f"--datadir={datadir}",
                        "--auth-root-authentication-method=normal", "--skip-test-db", *user],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    start_daemon([_bin("mariadbd", "mysqld"), "--no-defaults", f"--datadir={datadir}", *user,
                  f"--port={settings.mariadb_port}", "--bind-address=127.0.0.1",
                  f"--socket={datadir / 'mariadb.sock'}", f"--pid-file={datadir / 'mariadbd.pid'}",
                  "--skip-name-resolve", "--local-infile=1", "--innodb-buffer-pool-size=256M",
                  "--innodb-flush-log-at-trx-commit=0", "--character-set-server=utf8mb4",
                  "--collation-server=utf8mb4_unicode_ci", "--default-time-zone=+00:00",
                  f"--log-error={log}"],
                 _pidfile(settings), settings.services_dir / "mariadb.out")
    wait_for_port(settings.mariadb_port, 60, "MariaDB", log)


def stop(settings: Settings) -> bool:
    return stop_daemon(_pidfile(settings), timeout=30)


def connect(dsn: str, database: bool = True):
    """A PyMySQL connection from a ``mysql://user:pass@host:port/db`` URI (the connectorx form); without
    ``database``, to the server only. LOCAL INFILE is allowed (bulk loads), autocommit is on."""
    import pymysql

    url = urlparse(dsn)
    return pymysql.connect(host=url.hostname or "127.0.0.1", port=url.port or 3306,
                           user=unquote(url.username or "root"), password=unquote(url.password or ""),
                           database=url.path.lstrip("/") if database else None, charset="utf8mb4",
                           local_infile=True, autocommit=True)


def ensure_database(settings: Settings, name: str) -> None:
    conn = connect(settings.mariadb_dsn(""), database=False)
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    finally:
        conn.close()

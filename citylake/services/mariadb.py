"""A private MariaDB server: the departments whose systems run on MySQL/MariaDB (land registry)."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

from citylake.services.permissions import secure_run_dir
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


ROOT = "root"
ACCESS_DENIED = 1045


def data_dir(settings: Settings) -> Path:
    return settings.services_dir / "mariadb"


def _pidfile(settings: Settings) -> Path:
    return settings.services_dir / "mariadb.pid"


def start(settings: Settings) -> None:
    datadir = data_dir(settings)
    log = settings.services_dir / "mariadb.log"
    if ensure_ours(settings.mariadb_port, "MariaDB", pid_alive(_pidfile(settings))):
        _secure(settings)
        return
    secure_run_dir(settings)
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
    _secure(settings)


def _secure(settings: Settings) -> None:
    """Root gets its password (a fresh server, or one made before passwords, has none), anonymous
    accounts go, and the departments' owner and the platform's reader exist with theirs."""
    import pymysql

    try:
        conn = connect(settings.mariadb_dsn("", ROOT), database=False)
    except pymysql.err.OperationalError as exc:
        if exc.args[0] != ACCESS_DENIED:
            raise
        conn = connect(f"mysql://{ROOT}@127.0.0.1:{settings.mariadb_port}/", database=False)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT user, host FROM mysql.user WHERE user IN (%s, '')", (ROOT,))
            for user, host in cur.fetchall():
                if user == "" or host not in ("localhost", "127.0.0.1", "::1"):
                    # anonymous accounts, and root by host name (the server resolves no names)
                    cur.execute("DROP USER IF EXISTS %s@%s", (user, host))
                else:
                    cur.execute("ALTER USER %s@%s IDENTIFIED BY %s", (user, host, settings.secret(f"mariadb/{ROOT}")))
            for user in (settings.pg_user, settings.pg_reader):
                password = settings.secret(f"mariadb/{user}")
                cur.execute("CREATE USER IF NOT EXISTS %s@'127.0.0.1' IDENTIFIED BY %s", (user, password))
                cur.execute("ALTER USER %s@'127.0.0.1' IDENTIFIED BY %s", (user, password))
    finally:
        conn.close()


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


def _as_root(settings: Settings, *statements: tuple[str, tuple]) -> None:
    conn = connect(settings.mariadb_dsn("", ROOT), database=False)
    try:
        with conn.cursor() as cur:
            for statement, args in statements:
                cur.execute(statement, args)
    finally:
        conn.close()


def ensure_database(settings: Settings, name: str) -> None:
    """``name``, all of it granted to the departments' owner account (never root)."""
    _as_root(settings,
             (f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", ()),
             (f"GRANT ALL PRIVILEGES ON `{name}`.* TO %s@'127.0.0.1'", (settings.pg_user,)))


def grant_reader(settings: Settings, name: str) -> None:
    """The platform's extraction account may read ``name`` and nothing else."""
    _as_root(settings, (f"GRANT SELECT, SHOW VIEW ON `{name}`.* TO %s@'127.0.0.1'", (settings.pg_reader,)))

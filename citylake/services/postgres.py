"""A private PostgreSQL cluster: the department source databases, Airflow's metadata and CKAN's."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from citylake.services.process import ensure_ours, wait_for_port
from citylake.settings import Settings


def _pg_bin(tool: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"))
    if found:
        return found[-1]
    path = shutil.which(tool)
    if path is None:
        raise RuntimeError(f"PostgreSQL's {tool} not found: install the postgresql package (make setup)")
    return path


def _as_owner(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres system user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def data_dir(settings: Settings) -> Path:
    return settings.services_dir / "postgres"


def start(settings: Settings) -> None:
    pgdata = data_dir(settings)
    log = settings.services_dir / "postgres.log"
    if ensure_ours(settings.pg_port, "PostgreSQL", (pgdata / "postmaster.pid").exists()):
        return
    settings.services_dir.mkdir(parents=True, exist_ok=True)
    if not (pgdata / "PG_VERSION").exists():
        pgdata.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(pgdata, pg.pw_uid, pg.pw_gid)
            os.chmod(settings.services_dir, 0o755)
        subprocess.run(_as_owner([_pg_bin("initdb"), "-D", str(pgdata), "-U", settings.pg_user,
                                  "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"]),
                       check=True, stdout=subprocess.DEVNULL)
    log.touch()
    if os.geteuid() == 0:
        pg = pwd.getpwnam("postgres")
        os.chown(log, pg.pw_uid, pg.pw_gid)
    opts = (f"-p {settings.pg_port} -h 127.0.0.1 -k {pgdata} -c max_connections=200 "
            f"-c shared_buffers=256MB -c fsync=off -c synchronous_commit=off")
    subprocess.run(_as_owner([_pg_bin("pg_ctl"), "-D", str(pgdata), "-l", str(log), "-o", opts,
                              "-w", "-t", "60", "start"]), check=True, stdout=subprocess.DEVNULL)
    wait_for_port(settings.pg_port, 60, "PostgreSQL", log)


def stop(settings: Settings) -> bool:
    pgdata = data_dir(settings)
    if not (pgdata / "postmaster.pid").exists():
        return False
    subprocess.run(_as_owner([_pg_bin("pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"]),
                   check=False, stdout=subprocess.DEVNULL)
    return True


def ensure_database(settings: Settings, name: str, owner: str | None = None) -> None:
    import psycopg

    with psycopg.connect(settings.pg_dsn("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' OWNER "{owner}"' if owner else ""))


def ensure_role(settings: Settings, role: str, password: str | None = None) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(settings.pg_dsn("postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            stmt = sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role))
            if password:
                stmt = sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(password))
            conn.execute(stmt)
        elif password:  # the secret file is the truth: a role made by an earlier run follows it
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))

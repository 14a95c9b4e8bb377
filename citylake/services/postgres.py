"""A private PostgreSQL cluster: the department source databases, Airflow's metadata and CKAN's."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from citylake.services.permissions import secure_run_dir
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


# every connection, the socket's included, proves a password (SCRAM); nothing is trusted by address
HBA = """\
# written by citylake at each start
local   all   all                 scram-sha-256
host    all   all   127.0.0.1/32  scram-sha-256
"""
SUPERUSER = "postgres"
_MARKER = "citylake_auth"


def _owned_by_postgres(path: Path, mode: int) -> None:
    if os.geteuid() == 0:
        pg = pwd.getpwnam("postgres")
        os.chown(path, pg.pw_uid, pg.pw_gid)
    path.chmod(mode)


def _initdb(settings: Settings, pgdata: Path) -> None:
    pgdata.mkdir(parents=True, exist_ok=True)
    pwfile = pgdata.parent / ".postgres-pwfile"
    pwfile.write_text(settings.pg_password(SUPERUSER) + "\n")
    try:
        _owned_by_postgres(pwfile, 0o600)
        _owned_by_postgres(pgdata, 0o700)
        subprocess.run(_as_owner([_pg_bin("initdb"), "-D", str(pgdata), "-U", SUPERUSER, f"--pwfile={pwfile}",
                                  "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
                                  "--encoding=UTF8", "--locale=C.UTF-8"]),
                       check=True, stdout=subprocess.DEVNULL)
    finally:
        pwfile.unlink(missing_ok=True)
    (pgdata / _MARKER).write_text("scram\n")


def _adopt_trusting_cluster(settings: Settings, pgdata: Path) -> None:
    """A cluster made before passwords (trust, superuser ``citylake``): give it a password-holding
    superuser, demote ``citylake``, then switch to SCRAM. Runs once, with the old rules in force."""
    import psycopg
    from psycopg import sql

    dsn = f"host=127.0.0.1 port={settings.pg_port} dbname=postgres user={settings.pg_user}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (SUPERUSER,)).fetchone():
            conn.execute(sql.SQL("CREATE ROLE {} SUPERUSER LOGIN").format(sql.Identifier(SUPERUSER)))
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(
            sql.Identifier(SUPERUSER), sql.Literal(settings.pg_password(SUPERUSER))))
    dsn = f"host=127.0.0.1 port={settings.pg_port} dbname=postgres user={SUPERUSER}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER ROLE {} NOSUPERUSER NOCREATEDB NOCREATEROLE").format(
            sql.Identifier(settings.pg_user)))
    (pgdata / _MARKER).write_text("scram\n")


def start(settings: Settings) -> None:
    pgdata = data_dir(settings)
    log = settings.services_dir / "postgres.log"
    secure_run_dir(settings)
    if ensure_ours(settings.pg_port, "PostgreSQL", (pgdata / "postmaster.pid").exists()):
        return
    settings.services_dir.mkdir(parents=True, exist_ok=True)
    if not (pgdata / "PG_VERSION").exists():
        _initdb(settings, pgdata)
    log.touch()
    _owned_by_postgres(log, 0o600)
    if (pgdata / _MARKER).exists():
        (pgdata / "pg_hba.conf").write_text(HBA)
    opts = (f"-p {settings.pg_port} -h 127.0.0.1 -k {pgdata} -c max_connections=200 "
            f"-c shared_buffers=256MB -c fsync=off -c synchronous_commit=off "
            f"-c password_encryption=scram-sha-256")
    ctl = [_pg_bin("pg_ctl"), "-D", str(pgdata), "-l", str(log), "-o", opts, "-w", "-t", "60"]
    subprocess.run(_as_owner([*ctl, "start"]), check=True, stdout=subprocess.DEVNULL)
    wait_for_port(settings.pg_port, 60, "PostgreSQL", log)
    if not (pgdata / _MARKER).exists():
        _adopt_trusting_cluster(settings, pgdata)
        (pgdata / "pg_hba.conf").write_text(HBA)
        subprocess.run(_as_owner([_pg_bin("pg_ctl"), "-D", str(pgdata), "reload"]), check=True,
                       stdout=subprocess.DEVNULL)
    _owned_by_postgres(pgdata / "pg_hba.conf", 0o600)
    _platform_roles(settings)


def _platform_roles(settings: Settings) -> None:
    """The departments' owner account and the platform's read-only extraction account, neither a
    superuser; their passwords follow the secret files."""
    ensure_role(settings, settings.pg_user, settings.pg_password(settings.pg_user))
    ensure_role(settings, settings.pg_reader, settings.pg_password(settings.pg_reader))


def stop(settings: Settings) -> bool:
    pgdata = data_dir(settings)
    if not (pgdata / "postmaster.pid").exists():
        return False
    subprocess.run(_as_owner([_pg_bin("pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"]),
                   check=False, stdout=subprocess.DEVNULL)
    return True


def ensure_database(settings: Settings, name: str, owner: str | None = None) -> None:
    """``name`` owned by ``owner`` (the departments' account by default); only its owner (and, for
    a department's database, the reader granted by :func:`grant_reader`) may connect."""
    import psycopg
    from psycopg import sql

    owner = owner or settings.pg_user
    with psycopg.connect(settings.pg_admin_dsn(), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(owner)))
        conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(name)))


def grant_reader(settings: Settings, database: str) -> None:
    """The extraction account may read every table the owner has made or will make in ``database``
    (a department's grant to the platform), and nothing else."""
    import psycopg
    from psycopg import sql

    owner, reader = sql.Identifier(settings.pg_user), sql.Identifier(settings.pg_reader)
    with psycopg.connect(settings.pg_admin_dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), reader))
    with psycopg.connect(settings.pg_admin_dsn(database), autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} GRANT USAGE ON SCHEMAS TO {}").format(owner, reader))
        conn.execute(sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} GRANT SELECT ON TABLES TO {}").format(owner, reader))
        conn.execute(sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} GRANT SELECT ON SEQUENCES TO {}").format(
            owner, reader))
        schemas = [row[0] for row in conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'")]
        for schema in map(sql.Identifier, schemas):
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, reader))
            conn.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(schema, reader))


def ensure_role(settings: Settings, role: str, password: str | None = None) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(settings.pg_admin_dsn(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            stmt = sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role))
            if password:
                stmt = sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(role), sql.Literal(password))
            conn.execute(stmt)
        elif password:  # the secret file is the truth: a role made by an earlier run follows it
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))


def ensure_postgis(settings: Settings, database: str, extensions: tuple[str, ...] = ("postgis",)) -> None:
    """PostGIS (and e.g. pgRouting) in ``database``: creating an extension needs the superuser, so the
    service does it when the database is made, not the department's account."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(settings.pg_admin_dsn(database), autocommit=True) as conn:
        for name in extensions:
            conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(name)))

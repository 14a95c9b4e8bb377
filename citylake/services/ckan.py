"""The embedded CKAN 2.12 portal: own venv, PostgreSQL databases, DataStore, Redis, API token.

CKAN lives in its own virtual environment (its pinned requirements clash with Airflow's); it is
driven here through its command line and reached by citylake over HTTP, as a real portal is.
"""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

from citylake.services import postgres, redis
from citylake.services.process import ensure_ours, pid_alive, port_open, start_daemon, stop_daemon, wait_for_port
from citylake.settings import REPO_ROOT, Settings

CKAN_VERSION = "2.12.0"
# extensions that resolve with ckan[requirements]==2.12.0 (xloader 2.6 needs a newer urllib3)
EXTENSIONS = ("ckanext-dcat==2.4.4", "ckanext-scheming==3.1.0", "ckanext-geoview==0.3.2")
# bumped whenever what install() puts in the venv changes, so existing deployments reinstall
INSTALL_REVISION = "4"
PLUGIN_DIR = REPO_ROOT / "infra" / "ckan" / "ckanext-nosolr"
ADMIN = "citylake_admin"


def home(settings: Settings) -> Path:
    return settings.services_dir / "ckan"


def _venv_python(settings: Settings) -> Path:
    return home(settings) / "venv" / "bin" / "python"


def _ckan(settings: Settings, *args: str, config: bool = True) -> subprocess.CompletedProcess:
    exe = home(settings) / "venv" / "bin" / "ckan"
    cmd = [str(exe), *(["-c", str(home(settings) / "ckan.ini")] if config else []), *args]
    done = subprocess.run(cmd, text=True, capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"`ckan {' '.join(args[:3])}` failed ({done.returncode}):\n"
                           f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done


def install(settings: Settings) -> None:
    """Create CKAN's venv (idempotent: a marker records what was installed)."""
    marker = home(settings) / "venv" / f".installed-{CKAN_VERSION}-r{INSTALL_REVISION}"
    if marker.exists():
        return
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    venv = home(settings) / "venv"
    # an older deployment reinstalls into its venv (the pins upgrade or add what changed)
    subprocess.run([uv, "venv", "-q", "--allow-existing", "--python", "python3.11", str(venv)], check=True)
    subprocess.run([uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"),
                    "--compile-bytecode", f"ckan[requirements]=={CKAN_VERSION}", *EXTENSIONS, "-e", str(PLUGIN_DIR)],
                   check=True)
    marker.touch()


def configure(settings: Settings) -> None:
    """Write ckan.ini and initialise CKAN's databases once."""
    h = home(settings)
    ini = h / "ckan.ini"
    h.mkdir(parents=True, exist_ok=True)
    import psycopg

    pg = f"127.0.0.1:{settings.pg_port}"
    pw, ro_pw = settings.pg_password("ckan_default"), settings.pg_password("datastore_ro")
    postgres.ensure_role(settings, "ckan_default", pw)
    postgres.ensure_role(settings, "datastore_ro", ro_pw)
    # whatever a DataStore reader asks, it cannot hold the database for long
    with psycopg.connect(settings.pg_admin_dsn(), autocommit=True) as conn:
        conn.execute("ALTER ROLE datastore_ro SET statement_timeout = '5s'")
    for db in ("ckan_default", "datastore_default"):
        postgres.ensure_database(settings, db, owner="ckan_default")

    with psycopg.connect(settings.pg_admin_dsn(), autocommit=True) as conn:
        for db in ("ckan_default", "datastore_default"):
            conn.execute(f'ALTER DATABASE "{db}" OWNER TO ckan_default')
        conn.execute('GRANT CONNECT ON DATABASE "datastore_default" TO datastore_ro')
    if not ini.exists():
        _ckan(settings, "generate", "config", str(ini), config=False)
    (h / "storage").mkdir(exist_ok=True)
    options = {
        "sqlalchemy.url": f"postgresql://ckan_default:{pw}@{pg}/ckan_default",
        "ckan.datastore.write_url": f"postgresql://ckan_default:{pw}@{pg}/datastore_default",
        "ckan.datastore.read_url": f"postgresql://datastore_ro:{ro_pw}@{pg}/datastore_default",
        "ckan.site_url": settings.ckan_url,
        "ckan.site_title": "Cổng dữ liệu mở TP.HCM (citylake demo)",
        "ckan.redis.url": redis.url(settings),
        "solr_url": "http://127.0.0.1:9/solr/none",
        # citylake_portal before the extensions: its templates override theirs
        "ckan.plugins": ("citylake_nosolr citylake_portal scheming_datasets dcat activity datastore "
                         "datatables_view geojson_view"),
        # the city schema: Vietnamese and English, contact point, publisher, licence and its version,
        # temporal and spatial coverage, update frequency (DCAT-AP through ckanext-dcat)
        "scheming.dataset_schemas": "ckanext_nosolr:city_dataset.yaml",
        "scheming.presets": "ckanext.scheming:presets.json ckanext.dcat.schemas:presets.yaml",
        "ckanext.dcat.rdf.profiles": "euro_dcat_ap_3 euro_dcat_ap_scheming citylake_dcat",
        "ckanext.dcat.resource.inherit.license": "true",
        # CC BY 4.0 with its version (CKAN's built-in list only has an unversioned "cc-by")
        "licenses_group_url": f"file://{PLUGIN_DIR / 'ckanext_nosolr' / 'licenses.json'}",
        # map previews draw on a tile this CKAN serves: no request leaves the machine
        "ckanext.spatial.common_map.type": "custom",
        "ckanext.spatial.common_map.custom_url":
            f"{settings.ckan_url}/citylake/basemap-tile.png?z={{z}}&x={{x}}&y={{y}}",
        "ckanext.spatial.common_map.attribution": "citylake (offline basemap)",
        "ckan.views.default_views": "datatables_view",
        "ckan.storage_path": str(h / "storage"),
        "ckan.max_resource_size": "200",
        "ckan.auth.create_user_via_web": "false",
        # free SQL from anonymous users is a denial of service (a self-join held the portal for
        # seconds): off; datastore_search still serves filters, sorting and full text
        "ckan.datastore.sqlsearch.enabled": "false",
        "ckan.auth.public_user_details": "false",
        "ckan.auth.public_activity_stream_detail": "false",
        "ckan.locale_default": "vi",
        "ckan.locales_offered": "vi en",
        "ckan.display_timezone": "Asia/Ho_Chi_Minh",
    }
    _ckan(settings, "config-tool", str(ini), *[f"{k}={v}" for k, v in options.items()], config=False)
    ini.chmod(0o600)        # it holds the session secret and the database passwords
    if not (h / ".db-initialised").exists():
        _ckan(settings, "db", "init")
        # the generated script is for psql: drop its \connect line, we connect to the db here
        perms = "\n".join(line for line in _ckan(settings, "datastore", "set-permissions").stdout
                          .splitlines() if not line.startswith("\\"))
        with psycopg.connect(settings.pg_admin_dsn("datastore_default"), autocommit=True) as conn:
            conn.execute(perms)
        _create_admin(settings)
        (h / ".db-initialised").touch()
    _migrate_free_extras(settings)


# free-text extras that citylake wrote before the city schema made them structured (JSON) fields:
# ckanext-scheming cannot read them back (package_show answers 500), the next publication rewrites them
_NOW_STRUCTURED = ("publisher", "contact", "spatial_coverage", "temporal_coverage", "language")


def _migrate_free_extras(settings: Settings) -> None:
    import psycopg

    with psycopg.connect(settings.pg_admin_dsn("ckan_default"), autocommit=True) as conn:
        # CKAN 2.11+ keeps a dataset's extras in package.extras (JSONB)
        conn.execute("""UPDATE package SET extras = (
                            SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb) FROM jsonb_each(extras) AS e(k, v)
                            WHERE NOT (k = ANY(%(keys)s) AND left(v #>> '{}', 1) IS DISTINCT FROM '['))
                        WHERE extras ?| %(keys)s""", {"keys": list(_NOW_STRUCTURED)})


def _create_admin(settings: Settings) -> None:
    h = home(settings)
    _ckan(settings, "user", "add", ADMIN, f"email={ADMIN}@citylake.invalid",
          f"password={secrets.token_urlsafe(16)}")
    _ckan(settings, "sysadmin", "add", ADMIN)
    out = _ckan(settings, "user", "token", "add", ADMIN, "citylake-publisher").stdout
    token = [line.strip() for line in out.splitlines() if line.strip()][-1]
    (h / "api_token").write_text(token)
    os.chmod(h / "api_token", 0o600)


def start(settings: Settings) -> None:
    """Install, configure and serve CKAN (with its PostgreSQL and Redis)."""
    postgres.start(settings)
    redis.start(settings)
    if ensure_ours(settings.ckan_port, "CKAN", pid_alive(home(settings) / "ckan.pid")):
        return
    install(settings)
    configure(settings)
    h = home(settings)
    env = dict(os.environ, CKAN_INI=str(h / "ckan.ini"))
    start_daemon([str(h / "venv" / "bin" / "ckan"), "-c", str(h / "ckan.ini"), "run",
                  "--host", "127.0.0.1", "--port", str(settings.ckan_port), "--disable-reloader"],
                 pidfile=h / "ckan.pid", log=h / "ckan.log", env=env)
    wait_for_port(settings.ckan_port, 90, "CKAN", h / "ckan.log")


def running(settings: Settings) -> bool:
    return pid_alive(home(settings) / "ckan.pid") and port_open(settings.ckan_port)


def stop(settings: Settings) -> bool:
    return stop_daemon(home(settings) / "ckan.pid")

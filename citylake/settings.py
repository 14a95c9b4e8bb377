"""One place that says where everything lives, read from the environment (``CITYLAKE_*``).

The embedded default is one machine: a run folder holding the lakehouse, the project's own
service instances on private loopback ports, and Spark ``local[*]``. Scale-out is configuration:
point ``CITYLAKE_LAKEHOUSE`` at object storage and ``CITYLAKE_SPARK_MASTER`` at a cluster.

Every variable is validated when ``Settings()`` is built: a bad one raises :class:`SettingsError`
naming the variable and its value (``CITYLAKE_PORT_BASE='abc': Input should be a valid integer``).
An empty variable counts as unset.
"""
from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "CITYLAKE_"
# port_base … port_base + 11: PostgreSQL, Redis, CKAN, Spark master and UI, MariaDB, Mosquitto, Airflow's
# API server, JupyterLab, Spark Connect, the OGC API server, one spare
PORT_BLOCK = 12


class SettingsError(ValueError):
    """A ``CITYLAKE_*`` variable (or a value given in code) that cannot be used as set."""


class Settings(BaseSettings):
    """Paths, ports and URLs of one citylake deployment; frozen once built."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, frozen=True,
                                      validate_by_name=True, validate_by_alias=True)

    run_dir: Path = REPO_ROOT / ".run"
    port_base: int = 24300
    spark_master: str = Field("local[*]", min_length=1)
    # a Spark Connect endpoint (sc://host:port): jobs become light clients of that server instead of
    # starting a Spark driver of their own; the live deployment points it at its own server
    spark_remote: str = Field("", pattern=r"^(sc://.+)?$")
    lakehouse_override: str = Field("", validation_alias="CITYLAKE_LAKEHOUSE")
    source_scale: float = Field(0.1, gt=0, validation_alias="CITYLAKE_SCALE")
    seed: int = Field(20250701, ge=0)
    # Spark: the driver's memory (a JVM size: 512m, 2g) and the shuffle's partitions
    spark_driver_memory: str = Field("2g", pattern=r"^[1-9][0-9]*[kKmMgGtT]?$")
    shuffle_partitions: int = Field(8, gt=0)
    # Airflow: how often a failed task is retried (the tests set 0: a failure fails at once)
    task_retries: int = Field(2, ge=0)
    # the vision models (downloaded, converted and verified by `citylake models`)
    models_dir: Path = REPO_ROOT / ".models"
    # the hotline's service goal the answer rate is read against (share answered within target time),
    # set by the city; 0.80 is a placeholder until the city sets its own
    hotline_answer_goal: float = Field(0.80, gt=0, le=1)
    # test hook: the stream consumer sleeps this long between its Delta commit and its acks
    stream_pause_after_commit: float = Field(0.0, ge=0)
    # who reads personal data or searches the watchlist, for the audit logs (default: the OS user)
    user: str = ""
    # overrides of what the embedded deployment would otherwise say
    health_dsn: str = ""
    ckan_url_override: str = Field("", validation_alias="CITYLAKE_CKAN_URL")
    ckan_token: SecretStr | None = None
    # where the public reaches the OGC API (a proxy in front of the loopback server), for CKAN's links
    ogc_api_url_override: str = Field("", validation_alias="CITYLAKE_OGC_API_URL")
    # the portal's DataStore database, for loading by COPY; empty with a remote portal (CITYLAKE_CKAN_URL)
    # unless given: the publisher then loads through the API (datastore_upsert)
    ckan_datastore_dsn_override: SecretStr | None = Field(None, validation_alias="CITYLAKE_CKAN_DATASTORE_DSN")
    pseudonym_salt_override: SecretStr | None = Field(None, validation_alias="CITYLAKE_PSEUDONYM_SALT")

    def __init__(self, **values) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise SettingsError(_explain(exc)) from None

    @field_validator("run_dir", "models_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("port_base")
    @classmethod
    def _port_block_fits(cls, value: int) -> int:
        if not 1024 <= value <= 65536 - PORT_BLOCK:
            raise ValueError(f"the deployment's {PORT_BLOCK} ports ({value}–{value + PORT_BLOCK - 1}) must lie "
                             f"within 1024–65535")
        return value

    # -- ports: one private block per deployment so a demo and a test run never collide. Below
    #    32768, outside Linux's ephemeral range: a client's outgoing connection can never hold them --
    @property
    def pg_port(self) -> int:
        return self.port_base

    @property
    def redis_port(self) -> int:
        return self.port_base + 1

    @property
    def ckan_port(self) -> int:
        return self.port_base + 2

    @property
    def spark_master_port(self) -> int:
        return self.port_base + 3

    @property
    def spark_master_ui_port(self) -> int:
        return self.port_base + 4

    @property
    def mariadb_port(self) -> int:
        return self.port_base + 5

    @property
    def mqtt_port(self) -> int:
        return self.port_base + 6

    @property
    def airflow_port(self) -> int:
        return self.port_base + 7

    @property
    def jupyter_port(self) -> int:
        return self.port_base + 8

    @property
    def spark_connect_port(self) -> int:
        return self.port_base + 9

    @property
    def ogc_api_port(self) -> int:
        return self.port_base + 10

    # -- locations --
    @property
    def lakehouse(self) -> str:
        """Root URI of the Delta tables (local path by default, s3://… or abfss://… by config)."""
        return self.lakehouse_override or str(self.run_dir / "lakehouse")

    @property
    def warehouse_duckdb(self) -> Path:
        """The published marts (DuckDB): what the report, the portal and analysts read. dbt builds
        into a staging file per DAG; only audited marts get here (citylake.warehouse)."""
        return self.run_dir / "warehouse" / "citylake.duckdb"

    @property
    def services_dir(self) -> Path:
        return self.run_dir / "services"

    @property
    def reports_dir(self) -> Path:
        return self.run_dir / "reports"

    # -- credentials: every service asks for a password; each secret is generated once into
    #    <run_dir>/secrets (owner-only) unless the deployment hands its own in --
    @property
    def secrets_dir(self) -> Path:
        return self.run_dir / "secrets"

    def secret(self, name: str, nbytes: int = 24) -> str:
        """The secret called ``name`` (``secrets/<name>``, mode 0600), generated on first use."""
        import secrets

        path = self.secrets_dir / name
        if not path.exists():
            make_private_dir(self.secrets_dir)
            make_private_dir(path.parent)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(nbytes))
        return path.read_text().strip()

    @property
    def pg_user(self) -> str:
        """The departments' own account: owns their databases (the simulators write with it)."""
        return "citylake"

    @property
    def pg_reader(self) -> str:
        """The platform's extraction account: reads the department databases, writes nothing."""
        return "citylake_reader"

    def pg_password(self, role: str) -> str:
        return self.secret(f"postgres/{role}")

    def pg_dsn(self, database: str, role: str | None = None) -> str:
        role = role or self.pg_user
        return f"postgresql://{role}:{self.pg_password(role)}@127.0.0.1:{self.pg_port}/{database}"

    def pg_admin_dsn(self, database: str = "postgres") -> str:
        """The cluster's superuser: only the service code that makes roles and databases uses it."""
        return self.pg_dsn(database, "postgres")

    def mariadb_dsn(self, database: str, user: str | None = None) -> str:
        """connectorx-style URI (``mysql://user:password@host:port/db``)."""
        user = user or self.pg_user
        return f"mysql://{user}:{self.secret(f'mariadb/{user}')}@127.0.0.1:{self.mariadb_port}/{database}"

    @property
    def redis_password(self) -> str:
        return self.secret("redis")

    def mqtt_credentials(self, client: str) -> tuple[str, str]:
        """(username, password) of an MQTT client of this deployment's broker; the broker's ACL
        says what each may do (citylake.services.mosquitto)."""
        return client, self.secret(f"mqtt/{client}")

    @property
    def health_source_dsn(self) -> str:
        return self.health_dsn or self.pg_dsn("health_dept")

    @property
    def ckan_url(self) -> str:
        return self.ckan_url_override or f"http://127.0.0.1:{self.ckan_port}"

    @property
    def ogc_api_url(self) -> str:
        """The OGC API's landing page, as the portal links to it."""
        return (self.ogc_api_url_override or f"http://127.0.0.1:{self.ogc_api_port}").rstrip("/")

    @property
    def ckan_datastore_dsn(self) -> str:
        """The DataStore's write DSN (CKAN's own role), or "" when the portal is not ours to reach."""
        if self.ckan_datastore_dsn_override is not None and self.ckan_datastore_dsn_override.get_secret_value():
            return self.ckan_datastore_dsn_override.get_secret_value()
        if self.ckan_url_override:
            return ""
        return self.pg_dsn("datastore_default", "ckan_default")

    @cached_property
    def ckan_api_token(self) -> str:
        if self.ckan_token is not None and self.ckan_token.get_secret_value():
            return self.ckan_token.get_secret_value()
        token_file = self.services_dir / "ckan" / "api_token"
        if not token_file.exists():
            raise RuntimeError(
                f"No CKAN API token: set CITYLAKE_CKAN_TOKEN or start the embedded CKAN "
                f"(`citylake up`), which writes {token_file}"
            )
        return token_file.read_text().strip()

    @property
    def pseudonym_salt(self) -> str:
        """Secret salt for pseudonymous keys (salted SHA-256 of citizen IDs); kept out of the lake."""
        if self.pseudonym_salt_override is not None and self.pseudonym_salt_override.get_secret_value():
            return self.pseudonym_salt_override.get_secret_value()
        return self.secret("pseudonym_salt", 32)

    def env(self) -> dict[str, str]:
        """The variables that hand these settings to a child process (Airflow, dbt, Spark)."""
        return {
            "CITYLAKE_RUN_DIR": str(self.run_dir),
            "CITYLAKE_PORT_BASE": str(self.port_base),
            "CITYLAKE_SPARK_MASTER": self.spark_master,
            "CITYLAKE_SPARK_REMOTE": self.spark_remote,
            "CITYLAKE_SPARK_DRIVER_MEMORY": self.spark_driver_memory,
            "CITYLAKE_SHUFFLE_PARTITIONS": str(self.shuffle_partitions),
            "CITYLAKE_TASK_RETRIES": str(self.task_retries),
            "CITYLAKE_LAKEHOUSE": self.lakehouse,
            "CITYLAKE_SCALE": str(self.source_scale),
            "CITYLAKE_SEED": str(self.seed),
        }


def env_name(field: str) -> str:
    """The environment variable a setting is read from (``port_base`` → ``CITYLAKE_PORT_BASE``)."""
    info = Settings.model_fields.get(field)
    if info is not None and isinstance(info.validation_alias, str):
        return info.validation_alias
    return field if field.upper().startswith(ENV_PREFIX) else f"{ENV_PREFIX}{field.upper()}"


def _explain(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_url=False):
        name = env_name(str(error["loc"][0])) if error["loc"] else "settings"
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{name}={error['input']!r}: {message}" if "input" in error else f"{name}: {message}")
    return "; ".join(lines)


def make_private_dir(path: Path) -> Path:
    """A folder only its owner can list or enter (secrets, the lakehouse)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def get_settings() -> Settings:
    return Settings()

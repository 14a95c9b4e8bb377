"""One place that says where everything lives, read from the environment.

The embedded default is one machine: a run folder holding the lakehouse, the project's own
service instances on private loopback ports, and Spark ``local[*]``. Scale-out is configuration:
point ``CITYLAKE_LAKEHOUSE`` at object storage and ``CITYLAKE_SPARK_MASTER`` at a cluster.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    """Paths, ports and URLs of one citylake deployment."""

    run_dir: Path = field(default_factory=lambda: Path(_env("CITYLAKE_RUN_DIR", str(REPO_ROOT / ".run"))).resolve())
    port_base: int = field(default_factory=lambda: int(_env("CITYLAKE_PORT_BASE", "24300")))
    spark_master: str = field(default_factory=lambda: _env("CITYLAKE_SPARK_MASTER", "local[*]"))
    lakehouse_override: str = field(default_factory=lambda: _env("CITYLAKE_LAKEHOUSE", ""))
    source_scale: float = field(default_factory=lambda: float(_env("CITYLAKE_SCALE", "0.1")))
    seed: int = field(default_factory=lambda: int(_env("CITYLAKE_SEED", "20250701")))

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

    # -- locations --
    @property
    def lakehouse(self) -> str:
        """Root URI of the Delta tables (local path by default, s3://… or abfss://… by config)."""
        return self.lakehouse_override or str(self.run_dir / "lakehouse")

    @property
    def warehouse_duckdb(self) -> Path:
        """DuckDB file where dbt builds the marts before the audit lets them out."""
        return self.run_dir / "warehouse" / "citylake.duckdb"

    @property
    def services_dir(self) -> Path:
        return self.run_dir / "services"

    @property
    def reports_dir(self) -> Path:
        return self.run_dir / "reports"

    @property
    def pg_user(self) -> str:
        return "citylake"

    def pg_dsn(self, database: str) -> str:
        return f"postgresql://{self.pg_user}@127.0.0.1:{self.pg_port}/{database}"

    def mariadb_dsn(self, database: str) -> str:
        """connectorx-style URI; the embedded server's root has no password and listens on loopback."""
        return f"mysql://root@127.0.0.1:{self.mariadb_port}/{database}"

    @property
    def health_source_dsn(self) -> str:
        return _env("CITYLAKE_HEALTH_DSN", self.pg_dsn("health_dept"))

    @property
    def airflow_db_dsn(self) -> str:
        return self.pg_dsn("airflow")

    @property
    def ckan_url(self) -> str:
        return _env("CITYLAKE_CKAN_URL", f"http://127.0.0.1:{self.ckan_port}")

    @cached_property
    def ckan_api_token(self) -> str:
        token = os.environ.get("CITYLAKE_CKAN_TOKEN")
        if token:
            return token
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
        salt = os.environ.get("CITYLAKE_PSEUDONYM_SALT")
        if salt:
            return salt
        path = self.run_dir / "secrets" / "pseudonym_salt"
        if not path.exists():
            import secrets

            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()

    def env(self) -> dict[str, str]:
        """The variables that hand these settings to a child process (Airflow, dbt, Spark)."""
        return {
            "CITYLAKE_RUN_DIR": str(self.run_dir),
            "CITYLAKE_PORT_BASE": str(self.port_base),
            "CITYLAKE_SPARK_MASTER": self.spark_master,
            "CITYLAKE_LAKEHOUSE": self.lakehouse,
            "CITYLAKE_SCALE": str(self.source_scale),
            "CITYLAKE_SEED": str(self.seed),
        }


def get_settings() -> Settings:
    return Settings()

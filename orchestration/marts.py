"""Which DAG builds which marts, and the write-audit-publish tasks every marts DAG is made of.

Each mart is built and published by exactly one DAG: the one that owns its ``models/marts/<domain>/``
folder. A DAG may build other marts in its staging file because its own marts read them (the
leadership marts read the conformed dimensions), but only its own are audited and published.
"""
from __future__ import annotations

from citylake import dbt
from citylake.settings import get_settings
from orchestration.assets import mart_asset
from orchestration.defaults import WAREHOUSE_POOL

OWNERS: dict[str, tuple[str, ...]] = {
    "warehouse_marts": ("core", "health", "leadership"),
    "transport_marts": ("transport",),
    "centre_marts": ("centre",),
}


def owned_marts(dag_id: str) -> list[str]:
    return dbt.marts(OWNERS[dag_id])


def published_marts() -> list[str]:
    return sorted(m for dag_id in OWNERS for m in owned_marts(dag_id))


def write_audit_publish(dag_id: str, upstream=None):
    """``[upstream >>] build (dbt, into the DAG's staging file) >> audit >> publish``; only the
    publish task updates the marts' Assets."""
    from airflow.sdk import chain, task

    marts = owned_marts(dag_id)
    selection = " ".join(f"+path:models/marts/{d}" for d in OWNERS[dag_id])

    @task(task_id="dbt_build")
    def build() -> int:
        from airflow.sdk.exceptions import AirflowSkipException

        from citylake.warehouse import staging_path

        missing = dbt.missing_sources(OWNERS[dag_id])
        if missing:
            # a new deployment: the marts are first built once every table they read has landed
            # (each source's DAG updates an Asset this DAG waits on, so it runs again then)
            raise AirflowSkipException(f"not built yet, so nothing to build from: {', '.join(missing)}")
        return dbt.run_dbt(["build", "--select", selection], duckdb_path=staging_path(get_settings(), dag_id)).passed

    @task(task_id="audit_staged_marts")
    def audit() -> list[str]:
        from expectations.gates import audit_marts

        return audit_marts(marts, staged_by=dag_id)

    @task(task_id="publish_marts", outlets=[mart_asset(m) for m in marts], pool=WAREHOUSE_POOL)
    def publish() -> str:
        from citylake.warehouse import publish as publish_marts

        return str(publish_marts(get_settings(), dag_id, marts))

    tasks = [build(), audit(), publish()]
    chain(*([upstream] if upstream is not None else []), *tasks)
    return tasks

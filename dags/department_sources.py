"""
### Department sources → bronze → silver (one DAG per source)

For every source configured in `ingestion/sources/<name>/source.yml` (Health, one-stop dossiers,
complaints, hotline, business registration, FDI, investment projects, land, schools, inspection
conclusions, the camera registry), a DAG `ingest_<name>` at the update frequency agreed with its owner:

1. **extract**: incremental, exactly-once batches into bronze Delta (PostgreSQL or MariaDB), hard
   deletes as tombstones, additive schema changes followed; an incompatible change stops this
   source only, with its batch quarantined;
2. **silver** (Spark): latest per key, NFC, 2025 wards, pseudonyms, enumerations, quarantine with
   reasons — the config-driven job, or Health's own (duplicate facilities, practitioner identities);
3. **audit**: the Great Expectations suite of every silver table. Only once it passed are the silver
   tables' Assets updated, so the marts never start from unaudited silver.

A value the source holds but bronze cannot (±infinity, NaN, zero dates) is kept as text in
`_unrepresentable`; a deterministic failure fails `extract` at once, naming source, table, column and key,
without retries. **Backfill**: trigger with `window_start`/`window_end` (ISO instants) to re-read a past range of the
source; only row versions bronze is missing are added, so a backfill never duplicates.
"""
from __future__ import annotations

from airflow.sdk import Param, chain, dag, task

from orchestration.assets import HEALTH, ingested_sources, silver_assets
from orchestration.defaults import SPARK_POOL, default_args

SCHEDULES = {"hourly": "@hourly", "daily": "@daily", "weekly": "@weekly", "monthly": "@monthly"}


def _window(params: dict):
    import datetime as dt

    start, end = params.get("window_start"), params.get("window_end")
    if not start and not end:
        return None
    if not (start and end):
        raise ValueError("a backfill needs both window_start and window_end")
    return dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end)


def extract_or_fail(name: str, params: dict | None = None) -> list[str]:
    """Extract the source; a deterministic failure (a value, a schema change) fails the task without
    retries, which cannot help: only transient ones (connections) are worth Airflow's retries."""
    from airflow.sdk.exceptions import AirflowFailException

    from ingestion.extract import ExtractError, extract_source

    try:
        return [str(batch) for batch in extract_source(name, window=_window(params or {}))]
    except ExtractError as err:
        raise AirflowFailException(f"{type(err).__name__}: {err}") from err


def ingest_dag(name: str, source):
    @dag(
        dag_id=f"ingest_{name}",
        doc_md=__doc__,
        schedule=SCHEDULES[source.update_frequency],
        catchup=False,
        max_active_runs=1,
        tags=["ingestion", "bronze", "silver", name],
        params={"window_start": Param(None, type=["null", "string"], description="backfill from (ISO)"),
                "window_end": Param(None, type=["null", "string"], description="backfill to (ISO)"),
                "full_rebuild": Param(False, type="boolean",
                                      description="rebuild silver from all of bronze (else only what changed)")},
        default_args=default_args(),
    )
    def ingest():
        @task(task_id=f"extract_{name}")
        def extract(params=None) -> list[str]:
            return extract_or_fail(name, params)

        @task(task_id=f"build_{name}_silver", pool=SPARK_POOL)
        def silver(params=None) -> dict:
            if name == HEALTH:
                from spark_jobs import health_silver

                return health_silver.run()
            from spark_jobs import silver as silver_job

            return silver_job.run(name, full_rebuild=bool((params or {}).get("full_rebuild")))

        @task(task_id=f"audit_{name}_silver", outlets=silver_assets(source))
        def audit() -> list[str]:
            from expectations.gates import audit_health_silver, audit_source_silver

            return audit_health_silver() if name == HEALTH else audit_source_silver(name)

        chain(extract(), silver(), audit())

    return ingest()


for _source in ingested_sources():
    globals()[f"ingest_{_source.name}"] = ingest_dag(_source.name, _source)

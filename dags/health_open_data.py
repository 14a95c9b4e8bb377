"""
### Health open data: Sở Y tế → lakehouse → CKAN

The city's first open datasets, health facilities (*cơ sở khám chữa bệnh*) and medical practice
certificates (*chứng chỉ hành nghề y*), from the Health department's licensing database to the
open-data portal:

1. **extract**: incremental, exactly-once batches into bronze Delta tables;
2. **silver**: a Spark job keeps the latest version per key, normalises Vietnamese text, maps old
   wards to the 2025 units, splits off personal data and quarantines invalid rows;
3. **audit silver** (Great Expectations);
4. **marts**: `dbt build` (models and their tests) into the warehouse;
5. **audit marts** (Great Expectations checkpoint): the write-audit-publish gate;
6. **publish**: audited marts swapped into gold Delta tables and published to CKAN.

A failed audit stops the run before anything is published. Every task is safe to retry.
"""
from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset, chain, dag, task

from citylake.settings import get_settings

BRONZE = [Asset("citylake://bronze/health_dept/facilities"),
          Asset("citylake://bronze/health_dept/practice_certificates")]
SILVER = [Asset("citylake://silver/health/facilities"),
          Asset("citylake://silver/health/practice_certificates")]
MARTS = [Asset("citylake://warehouse/dim_health_facilities"),
         Asset("citylake://warehouse/fct_practice_certificates"),
         Asset("citylake://warehouse/rpt_health_capacity_by_ward")]
PUBLISHED = [Asset("ckan://portal/dataset/co-so-kham-chua-benh"),
             Asset("ckan://portal/dataset/chung-chi-hanh-nghe-y")]


@dag(
    dag_id="health_open_data",
    doc_md=__doc__,
    schedule="@daily",
    start_date=pendulum.datetime(2025, 7, 1, tz="Asia/Ho_Chi_Minh"),
    catchup=False,
    max_active_runs=1,
    tags=["health", "open-data", "ckan", "sở y tế"],
    default_args={"owner": "data-platform", "retries": get_settings().task_retries,
                  "retry_delay": timedelta(seconds=20)},
)
def health_open_data():
    @task(outlets=BRONZE)
    def extract_health_source() -> list[str]:
        from ingestion.extract import extract_source

        return [str(batch) for batch in extract_source("health")]

    @task(outlets=SILVER)
    def build_health_silver() -> dict:
        from spark_jobs import health_silver

        return health_silver.run()

    @task
    def audit_health_silver() -> list[str]:
        from expectations.gates import audit_health_silver

        return audit_health_silver()

    @task(outlets=MARTS)
    def build_health_marts() -> int:
        from citylake.dbt import run_dbt

        return run_dbt(["build", "--select", "+marts.health +rpt_health_capacity_by_ward"]).passed

    @task
    def audit_health_marts() -> list[str]:
        from expectations.gates import audit_health_marts

        return audit_health_marts()

    @task(outlets=PUBLISHED)
    def publish_health_open_data() -> list[str]:
        from open_data.health import DATASETS
        from open_data.pipeline import publish_datasets

        return [str(r) for r in publish_datasets(DATASETS, "health")]

    chain(extract_health_source(), build_health_silver(), audit_health_silver(), build_health_marts(),
          audit_health_marts(), publish_health_open_data())


health_open_data()

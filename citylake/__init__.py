"""citylake: the smart-city lakehouse core shared by ingestion, Spark jobs, dbt, audits and publishing."""

__version__ = "0.1.0"

"""Orchestration: the Airflow Assets and configuration the DAGs use, and the ``citylake`` command."""

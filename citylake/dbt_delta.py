"""dbt-duckdb's delta plugin, tolerant of a source table that has not been built yet.

dbt loads every Delta source when it parses the project, not only the ones the selected models
read. A deployment that runs some DAGs before others (the Health open data before the cameras'
first events, a test on a lakehouse of its own) would otherwise fail to parse. A missing table is
loaded as an empty relation with one marker column, so a model that really reads it fails at build
time naming ``_citylake_table_not_built_yet``, while every other model builds.
"""
from __future__ import annotations

import pyarrow as pa
from dbt.adapters.duckdb.plugins.delta import Plugin as DeltaPlugin
from deltalake import DeltaTable

MISSING_MARKER = "_citylake_table_not_built_yet"


class Plugin(DeltaPlugin):
    def load(self, source_config):
        path = source_config.get("delta_table_path") if "delta_table_path" in source_config else None
        options = source_config.get("storage_options", None) if path else None
        if path and not DeltaTable.is_deltatable(path, storage_options=options):
            return pa.table({MISSING_MARKER: pa.array([], pa.string())})
        return super().load(source_config)

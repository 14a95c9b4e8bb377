"""dbt-duckdb's delta plugin, reading the lakehouse in place: one snapshot per table per build,
safe with dbt's threads, and tolerant of a table no DAG has built yet.

dbt-duckdb loads a plugin source each time a model that selects from it is compiled, and with
``materialization: view`` registers the Arrow dataset on every new cursor. So:

- the first load of a table in a build pins its snapshot and later loads reuse it: every model of
  the build reads the same version, and the Delta log is read once, not once per model;
- the adapter's registry of those datasets is iterated by each new cursor while another thread's
  model may add to it ("dictionary changed size during iteration"): it is replaced by one whose
  ``items()`` is a copy;
- a missing table is an empty relation with one marker column. dbt loads every source a selected
  model reads, and a deployment runs some DAGs before others (the Health open data before the
  cameras' first events, a test on a lakehouse of its own): a model that really reads it fails at
  build time naming ``_citylake_table_not_built_yet``, while every other model builds.
"""
from __future__ import annotations

import threading

import pyarrow as pa
from dbt.adapters.duckdb.plugins.delta import Plugin as DeltaPlugin
from deltalake import DeltaTable

MISSING_MARKER = "_citylake_table_not_built_yet"


class _Registered(dict):
    """The adapter's registered datasets, iterated over a copy (taken under the GIL, in one C call)."""

    def items(self):
        return list(super().items())


def _guard_registry() -> None:
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    env = DuckDBConnectionManager._ENV
    registry = getattr(env, "_REGISTERED_DF", None)
    if isinstance(registry, dict) and not isinstance(registry, _Registered):
        env._REGISTERED_DF = _Registered(registry)


class Plugin(DeltaPlugin):
    def initialize(self, config):
        super().initialize(config)
        self._loaded: dict[tuple, object] = {}
        self._lock = threading.Lock()

    def load(self, source_config):
        path = source_config.get("delta_table_path") if "delta_table_path" in source_config else None
        key = (path, source_config.get("as_of_version", None), source_config.get("as_of_datetime", None))
        with self._lock:
            _guard_registry()
            if key not in self._loaded:
                options = source_config.get("storage_options", None) if path else None
                if path and not DeltaTable.is_deltatable(path, storage_options=options):
                    self._loaded[key] = pa.table({MISSING_MARKER: pa.array([], pa.string())})
                else:
                    self._loaded[key] = super().load(source_config)
            return self._loaded[key]

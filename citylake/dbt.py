"""Running the dbt project (dbt-duckdb over the silver Delta tables) from Python and Airflow."""
from __future__ import annotations

import os
from dataclasses import dataclass

from citylake.settings import REPO_ROOT, Settings, get_settings

DBT_PROJECT = REPO_ROOT / "dbt"


class DbtFailed(RuntimeError):
    pass


@dataclass
class DbtResult:
    command: str
    passed: int
    failed: list[str]
    warned: list[str]


def run_dbt(args: list[str], settings: Settings | None = None) -> DbtResult:
    """``dbt <args>`` in-process; raises DbtFailed naming every failing model or test."""
    from dbt.cli.main import dbtRunner

    settings = settings or get_settings()
    settings.warehouse_duckdb.parent.mkdir(parents=True, exist_ok=True)
    os.environ.update({"CITYLAKE_LAKEHOUSE": settings.lakehouse,
                       "CITYLAKE_DUCKDB_PATH": str(settings.warehouse_duckdb),
                       "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
                       # a test runs only when every model it reads is built: building the core
                       # dimensions must not run a health mart's relationship test against them
                       "DBT_INDIRECT_SELECTION": "cautious"})
    target = settings.run_dir / "dbt" / "target"
    full = [*args, "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
            "--target-path", str(target), "--log-path", str(settings.run_dir / "dbt" / "logs")]
    outcome = dbtRunner().invoke(full)
    results = list(getattr(outcome.result, "results", None) or [])
    failed = [f"{r.node.name}: {r.status} — {(r.message or '').strip()}" for r in results
              if str(r.status) in ("error", "fail", "runtime error")]
    warned = [f"{r.node.name}: {(r.message or '').strip()}" for r in results if str(r.status) == "warn"]
    passed = sum(1 for r in results if str(r.status) in ("success", "pass"))
    if not outcome.success or failed:
        detail = "\n  ".join(failed) or str(outcome.exception)
        raise DbtFailed(f"dbt {' '.join(args)} failed:\n  {detail}")
    return DbtResult(" ".join(args), passed, failed, warned)

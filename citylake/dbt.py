"""The dbt project (dbt-duckdb over the silver Delta tables): running it, and its manifest.

The manifest says which marts exist (the models under ``models/marts/<domain>/``): the DAGs build,
audit and publish what it lists, so adding a mart needs no Python list to be kept in step.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from citylake.settings import REPO_ROOT, Settings, get_settings

DBT_PROJECT = REPO_ROOT / "dbt"
PROJECT_NAME = "citylake"
_SKIP_DIRS = {"target", "logs", "dbt_packages"}


class DbtFailed(RuntimeError):
    pass


@dataclass
class DbtResult:
    command: str
    passed: int
    failed: list[str]
    warned: list[str]


def _forget_duckdb() -> None:
    """Close the DuckDB that dbt-duckdb keeps per process. It is reused by the next invocation
    without checking the path: two warehouse files built in one process (``dag.test()``, a test
    session) would otherwise share the first one's."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager as manager

    with manager._LOCK:
        if manager._ENV is not None:
            try:
                manager._ENV.close()
            finally:
                manager._ENV = None


def dbt_env(settings: Settings, duckdb_path: Path) -> dict[str, str]:
    """What profiles.yml and the sources read from the environment, for a build into ``duckdb_path``."""
    return {"CITYLAKE_LAKEHOUSE": settings.lakehouse,
            "CITYLAKE_DUCKDB_PATH": str(duckdb_path),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            # a test runs only when every model it reads is built: building the core
            # dimensions must not run a health mart's relationship test against them
            "DBT_INDIRECT_SELECTION": "cautious"}


def run_dbt(args: list[str], settings: Settings | None = None, duckdb_path: Path | None = None) -> DbtResult:
    """``dbt <args>`` in-process into ``duckdb_path`` (a staging file: see citylake.warehouse);
    raises DbtFailed naming every failing model or test."""
    from dbt.cli.main import dbtRunner

    settings = settings or get_settings()
    duckdb_path = duckdb_path or settings.warehouse_duckdb
    duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    os.environ.update(dbt_env(settings, duckdb_path))
    # each warehouse file its own target folder: two DAGs building at once never share one
    work = settings.run_dir / "dbt" / duckdb_path.stem
    full = [*args, "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
            "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    _forget_duckdb()  # a previous invocation in this process may have built another warehouse file
    try:
        outcome = dbtRunner().invoke(full)
    finally:
        _forget_duckdb()  # and this one's file is free for whoever reads it next (the audit)
    results = list(getattr(outcome.result, "results", None) or [])
    failed = [f"{r.node.name}: {r.status} — {(r.message or '').strip()}" for r in results
              if str(r.status) in ("error", "fail", "runtime error")]
    warned = [f"{r.node.name}: {(r.message or '').strip()}" for r in results if str(r.status) == "warn"]
    passed = sum(1 for r in results if str(r.status) in ("success", "pass"))
    if not outcome.success or failed:
        detail = "\n  ".join(failed) or str(outcome.exception)
        raise DbtFailed(f"dbt {' '.join(args)} failed:\n  {detail}")
    return DbtResult(" ".join(args), passed, failed, warned)


# -- the manifest --------------------------------------------------------------------------------

def manifest_dir(settings: Settings) -> Path:
    return settings.run_dir / "dbt" / "manifest"


# the manifest is rendered with this in place of the lakehouse root, so it serves any lakehouse (a
# test's, the demo's) and never goes stale when only the lakehouse changes
LAKEHOUSE_PLACEHOLDER = "__CITYLAKE_LAKEHOUSE__"


def project_digest() -> str:
    """Hash of every project file and of the dbt versions: what ``dbt parse`` renders from."""
    from importlib.metadata import version

    digest = hashlib.sha256(f"{version('dbt-core')}|{version('dbt-duckdb')}".encode())
    for path in sorted(DBT_PROJECT.rglob("*")):
        rel = path.relative_to(DBT_PROJECT)
        if path.is_file() and not (_SKIP_DIRS & set(rel.parts)):
            digest.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def ensure_manifest(settings: Settings | None = None, timeout: float = 120) -> Path:
    """``<run>/dbt/manifest/manifest.json`` for the current project files, running ``dbt parse`` if
    it is missing or stale (seconds, once per project change; the hash check is milliseconds).
    Deployments parse it when they start (``citylake up``), so DAG files only read it.

    ``dbt parse`` opens no connection and reads no Delta table: it works before any lakehouse or
    warehouse exists. The env vars profiles.yml and the sources render get stand-ins: a DuckDB path
    never opened, and :data:`LAKEHOUSE_PLACEHOLDER` for the lakehouse root (see
    :func:`upstream_sources`). Safe from concurrent parsers (a file lock, an atomic rename).
    """
    settings = settings or get_settings()
    out = manifest_dir(settings)
    manifest, stamp = out / "manifest.json", out / "project.sha256"
    digest = project_digest()
    if manifest.exists() and stamp.exists() and stamp.read_text() == digest:
        return manifest
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if manifest.exists() and stamp.exists() and stamp.read_text() == digest:
            return manifest
        with tempfile.TemporaryDirectory(dir=out) as tmp:
            env = {**os.environ, "CITYLAKE_LAKEHOUSE": LAKEHOUSE_PLACEHOLDER,
                   "CITYLAKE_DUCKDB_PATH": str(Path(tmp) / "parse-only.duckdb"),
                   "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
            dbt = Path(sys.executable).parent / "dbt"
            done = subprocess.run(
                [str(dbt), "parse", "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
                 "--target-path", tmp, "--log-path", tmp, "--no-partial-parse", "--quiet"],
                env=env, capture_output=True, text=True, timeout=timeout)
            if done.returncode != 0:
                raise RuntimeError(f"dbt parse failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
            os.replace(Path(tmp) / "manifest.json", manifest)
            stamp.write_text(digest)
    return manifest


def marts_in_manifest(manifest: Path, domains: tuple[str, ...]) -> list[str]:
    """The models under ``models/marts/<domain>/`` for the given domains, by name."""
    nodes = json.loads(Path(manifest).read_text())["nodes"].values()
    return sorted(n["name"] for n in nodes
                  if n["resource_type"] == "model" and n["package_name"] == PROJECT_NAME
                  and len(n["fqn"]) >= 4 and n["fqn"][1] == "marts" and n["fqn"][2] in domains)


def mart_domains(manifest: Path) -> set[str]:
    """Every ``models/marts/<domain>/`` folder that holds a model."""
    nodes = json.loads(Path(manifest).read_text())["nodes"].values()
    return {n["fqn"][2] for n in nodes if n["resource_type"] == "model" and n["package_name"] == PROJECT_NAME
            and len(n["fqn"]) >= 4 and n["fqn"][1] == "marts"}


def marts(domains: tuple[str, ...], settings: Settings | None = None) -> list[str]:
    """The marts of these domains, from the current manifest (parsed first if the project changed)."""
    return marts_in_manifest(ensure_manifest(settings), domains)


def upstream_sources(manifest: Path, domains: tuple[str, ...], lakehouse: str) -> dict[str, str]:
    """Every Delta source the marts of these domains read, directly or not: source name → table path
    in ``lakehouse``."""
    graph = json.loads(Path(manifest).read_text())
    nodes, sources = graph["nodes"], graph["sources"]
    todo = [uid for uid, n in nodes.items() if n["resource_type"] == "model" and n["package_name"] == PROJECT_NAME
            and len(n["fqn"]) >= 4 and n["fqn"][1] == "marts" and n["fqn"][2] in domains]
    seen, found = set(todo), {}
    while todo:
        for parent in nodes[todo.pop()]["depends_on"]["nodes"]:
            if parent in sources:
                source = sources[parent]
                path = source["meta"].get("delta_table_path", "")
                found[f"{source['source_name']}.{source['name']}"] = path.replace(LAKEHOUSE_PLACEHOLDER, lakehouse)
            elif parent in nodes and parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return found


def missing_sources(domains: tuple[str, ...], settings: Settings | None = None) -> list[str]:
    """The Delta sources of these marts that no DAG has built yet (a new deployment's first hours)."""
    from deltalake import DeltaTable

    settings = settings or get_settings()
    paths = upstream_sources(ensure_manifest(settings), domains, settings.lakehouse.rstrip("/"))
    return sorted(name for name, path in paths.items() if not (path and DeltaTable.is_deltatable(path)))

"""Run a suite against a DataFrame and keep the evidence.

``run_audit`` validates through a Great Expectations file context under ``report_dir / "gx"``
(pandas data source, one DataFrame asset and whole-DataFrame batch definition per suite, a
ValidationDefinition and a Checkpoint), then builds the local Data Docs for the result. Every
object is looked up or updated by name, so the same report folder can be audited again and
again. Values that failed a personal-data check are never quoted, neither in the returned
failures nor in the stored result and Data Docs.
``require`` turns failed audits into one readable exception.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx
import pandas as pd
from great_expectations.data_context.types.base import ProgressBarsConfig

from expectations.suites import get_suite

DATASOURCE_NAME = "citylake_pandas"
DOCS_SITE = "local_site"
EXAMPLES = 5  # offending values quoted per failure line (the reports keep up to 4x)

log = logging.getLogger(__name__)


@dataclass
class AuditResult:
    """The outcome of one suite: ``failures`` holds one readable line per failed expectation."""

    suite: str
    success: bool
    failures: list[str] = field(default_factory=list)
    docs_path: str | None = None


class AuditFailed(RuntimeError):
    """At least one audit failed; ``results`` holds every result that was checked."""

    def __init__(self, message: str, results: list[AuditResult]):
        super().__init__(message)
        self.results = results


def require(results: list[AuditResult]) -> None:
    """Raise AuditFailed listing every failure, unless every audit succeeded."""
    failed = [r for r in results if not r.success]
    if not failed:
        return
    lines = [f"data quality audit failed: {len(failed)} of {len(results)} suite(s)"]
    for result in failed:
        where = f" (report: {result.docs_path})" if result.docs_path else ""
        lines.append(f"{result.suite}{where}:")
        lines.extend(f"  - {failure}" for failure in result.failures or ["(no detail)"])
    raise AuditFailed("\n".join(lines), results)


def run_audit(suite_name: str, df: pd.DataFrame, report_dir: Path) -> AuditResult:
    """Validate ``df`` against the named suite; reports go to ``report_dir / "gx"``."""
    suite = get_suite(suite_name)
    context = _context(Path(report_dir))

    suite = context.suites.add_or_update(suite)
    batch_definition = _batch_definition(context, suite_name)
    validation = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=suite_name, data=batch_definition, suite=suite))
    # Data Docs are built below rather than by an UpdateDataDocsAction, so that values flagged as
    # possibly personal are scrubbed from the stored result before any page shows them.
    checkpoint = context.checkpoints.add_or_update(gx.Checkpoint(
        name=suite_name,
        validation_definitions=[validation],
        actions=[],
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": EXAMPLES * 4},
    ))

    outcome = checkpoint.run(batch_parameters={"dataframe": df})
    failures: list[str] = []
    for identifier, validation_result in outcome.run_results.items():
        failures.extend(_describe(r) for r in validation_result.results if not r.success)
        if _scrub_personal_values(validation_result):
            context.validation_results_store.set(identifier, validation_result)
    identifiers = list(outcome.run_results)
    context.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=identifiers)
    result = AuditResult(suite=suite_name, success=bool(outcome.success), failures=failures,
                         docs_path=_docs_path(context, identifiers))
    log.info("audit %s: %s", suite_name,
             "passed" if result.success else f"{len(failures)} failure(s)")
    return result


def _scrub_personal_values(validation_result) -> bool:
    """Drop the offending values of expectations marked ``withhold_values``; True if any."""
    changed = False
    for result in validation_result.results:
        if (result.expectation_config.meta or {}).get("withhold_values") and result.result:
            for key in ("partial_unexpected_list", "partial_unexpected_counts",
                        "unexpected_list", "unexpected_index_list", "unexpected_index_query"):
                if result.result.get(key):
                    result.result[key] = []
                    changed = True
    return changed


# -- GX objects, created once per report folder and reused --

def _context(report_dir: Path):
    report_dir.mkdir(parents=True, exist_ok=True)
    # project_root_dir=report_dir: GX keeps its project (config, stores, docs) in report_dir/gx
    context = gx.get_context(mode="file", project_root_dir=str(report_dir))
    progress_bars = context.variables.progress_bars or {}
    if context.config.analytics_enabled is not False or progress_bars.get("globally", True):
        # once per project: no usage statistics, no progress bars in the pipeline's logs
        context.config.analytics_enabled = False
        context.variables.progress_bars = ProgressBarsConfig(globally=False,
                                                             metric_calculations=False)
        context.variables.save()
    return context


def _batch_definition(context, suite_name: str):
    sources = context.data_sources
    if DATASOURCE_NAME in sources.all():
        datasource = sources.get(DATASOURCE_NAME)
    else:
        datasource = sources.add_pandas(name=DATASOURCE_NAME)
    if suite_name in datasource.get_asset_names():
        asset = datasource.get_asset(suite_name)
    else:
        asset = datasource.add_dataframe_asset(name=suite_name)
    for batch_definition in asset.batch_definitions:
        if batch_definition.name == suite_name:
            return batch_definition
    return asset.add_batch_definition_whole_dataframe(name=suite_name)


# -- readable results --

def _describe(result) -> str:
    """One line, e.g. "expect_column_values_to_be_unique(facility_id): 3 unexpected (e.g. 17, 42)"."""
    config = result.expectation_config
    kwargs = config.kwargs
    target = kwargs.get("column") or ", ".join(kwargs.get("column_list") or [])
    head = f"{config.type}({target})" if target else config.type
    if kwargs.get("row_condition"):
        head += " where " + _condition_text(kwargs["row_condition"])

    message = _exception_message(result.exception_info)
    if message:
        return f"{head}: could not be evaluated: {message}"

    detail = result.result or {}
    if "unexpected_count" in detail:
        count = detail.get("unexpected_count") or 0
        line = f"{head}: {count} unexpected"
        if config.description:
            line += f" [{config.description}]"
        if (config.meta or {}).get("withhold_values"):
            return line + " (values withheld: may be personal data)"
        examples = _distinct(detail.get("partial_unexpected_list") or [])
        if examples:
            line += " (e.g. " + ", ".join(_show(v) for v in examples[:EXAMPLES]) + ")"
        return line

    mismatched = (detail.get("details") or {}).get("mismatched")
    if isinstance(mismatched, dict):
        parts = [f"{label} {', '.join(map(str, mismatched[key]))}"
                 for key, label in (("unexpected", "unexpected columns:"),
                                    ("missing", "missing columns:")) if mismatched.get(key)]
        if parts:
            return f"{head}: " + "; ".join(parts)

    if "observed_value" in detail:
        return f"{head}: observed {_show(detail['observed_value'])}"
    return f"{head}: failed"


def _exception_message(info) -> str | None:
    """First line of the error, from either shape GX uses (flat, or keyed by metric)."""
    if not isinstance(info, dict):
        return None
    candidates = [info] + [v for v in info.values() if isinstance(v, dict)]
    for candidate in candidates:
        message = candidate.get("exception_message")
        if message and (candidate.get("raised_exception") or candidate is not info):
            return str(message).strip().splitlines()[0]
    return None


def _distinct(values: list) -> list:
    seen, out = set(), []
    for value in values:
        key = repr(value)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


def _show(value) -> str:
    if value is None or (not isinstance(value, (str, list, dict, tuple)) and pd.isna(value)):
        return "null"  # None, NaN, NaT, pd.NA
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _condition_text(condition) -> str:
    if isinstance(condition, str):
        return condition
    if isinstance(condition, dict):  # serialised ComparisonCondition
        column = (condition.get("column") or {}).get("name")
        if column and "operator" in condition:
            return f"{column} {condition['operator']} {_show(condition.get('parameter'))}"
    return str(condition)


def _docs_path(context, identifiers: list) -> str | None:
    """The Data Docs page of this validation (else the site's index) as a local path."""
    urls = [site.get("site_url") for identifier in identifiers
            for site in context.get_docs_sites_urls(resource_identifier=identifier,
                                                    site_name=DOCS_SITE)]
    urls += [site.get("site_url") for site in context.get_docs_sites_urls(site_name=DOCS_SITE)]
    for url in filter(None, urls):
        parsed = urlparse(url)
        if parsed.scheme in ("", "file") and Path(unquote(parsed.path)).exists():
            return unquote(parsed.path)
    return None

"""A day's run through the live scheduler: trigger the DAGs that start it over the REST API, then
follow every run their Asset events set off, and the runs those set off, until none is left.

A run belongs to the day when one of the Asset events that started it came from a run of the day
(Airflow records each event's source run). A scheduled run that happens to fall in the window (the
cameras' every 15 minutes) is real work but not the day's: it is not waited for.

Progress is one line per finished DAG run with its tasks counted by outcome, and one per task that
failed or took a while (a Cosmos task group — one task per dbt model — counts as one task when the
group is done); a failure names its task and its log file.
One failed DAG does not stop the others: the run ends with a summary of every failure.
"""
from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.api import TERMINAL, AirflowAPI, AirflowAPIError

QUIET_S = 10.0  # no run of the day left, no Asset event waiting, for this long: the day is done


@dataclass
class Failure:
    dag_id: str
    run_id: str
    task_id: str
    log: Path

    def __str__(self) -> str:
        return f"{self.dag_id}: {self.task_id} failed; its log: {self.log}"


@dataclass
class DayRun:
    started: dt.datetime
    runs: dict[tuple[str, str], dict] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures and all(r["state"] == "success" for r in self.runs.values())

    def summary(self) -> list[str]:
        by_state: dict[str, list[str]] = {}
        for (dag_id, _), run in sorted(self.runs.items()):
            by_state.setdefault(run["state"], []).append(dag_id)
        lines = [f"{len(v)} {state}: {', '.join(sorted(set(v)))}" for state, v in sorted(by_state.items())]
        named = {(f.dag_id, f.run_id) for f in self.failures}
        unnamed = [f"{dag_id}: run {run_id} failed without a failed task (marked failed by hand or at a "
                   f"restart: see its note)" for (dag_id, run_id), run in sorted(self.runs.items())
                   if run["state"] == "failed" and (dag_id, run_id) not in named]
        return lines + [str(f) for f in self.failures] + unnamed


def log_path(log_folder: Path, ti: dict) -> Path:
    """Where Airflow's default ``log_filename_template`` puts a task try's log."""
    mapped = f"/map_index={ti['map_index']}" if ti.get("map_index", -1) >= 0 else ""
    return (log_folder / f"dag_id={ti['dag_id']}" / f"run_id={ti['dag_run_id']}" / f"task_id={ti['task_id']}"
            / f"{mapped.lstrip('/') + '/' if mapped else ''}attempt={max(ti.get('try_number') or 1, 1)}.log")


def _group(task_id: str) -> str | None:
    return task_id.split(".", 1)[0] if "." in task_id else None


def _seconds(ti: dict) -> float:
    return float(ti.get("duration") or 0.0)


def run_day(api: AirflowAPI, roots: Iterable[str], followers: Iterable[str], log_folder: Path,
            say: Callable[[str], None] = print, timeout_s: float = 3600.0, poll_s: float = 2.0,
            conf: dict | None = None) -> DayRun:
    """Trigger ``roots``; follow them and every run of ``followers`` the scheduler starts meanwhile."""
    day = DayRun(started=dt.datetime.now(dt.UTC))
    since = day.started.isoformat()
    for dag_id in roots:
        run = api.trigger(dag_id, conf=conf, note="citylake run")
        day.runs[(dag_id, run["dag_run_id"])] = run
    say(f"    triggered {len(day.runs)} DAG runs through the REST API; the scheduler runs what follows "
        f"from their Assets")
    followers = list(followers)
    reported: set[tuple[str, str, str]] = set()
    done_runs: set[tuple[str, str]] = set()
    sources: dict[tuple[str, str], set[tuple[str, str]]] = {}  # asset-triggered run → the runs behind it
    quiet_since: float | None = None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for dag_id in followers:
            for run in api.runs(dag_id, since=since):
                key = (dag_id, run["dag_run_id"])
                if key not in day.runs and run["run_type"] == "asset_triggered" and key not in sources:
                    try:
                        events = api.upstream_asset_events(dag_id, run["dag_run_id"])
                    except AirflowAPIError as exc:
                        # Airflow 3.3 answers 500 while a run one of the events set off has not started
                        # (its start_date is null); asked again at the next poll, not a failed day
                        if exc.status != 500:
                            raise
                        continue
                    sources[key] = {(e["source_dag_id"], e["source_run_id"]) for e in events}
        grew = True
        while grew:  # a run of the day sets off another, which sets off another: to a fixed point
            grew = False
            for key, behind in sources.items():
                if key not in day.runs and behind & set(day.runs):
                    day.runs[key] = {"state": "queued", "run_type": "asset_triggered"}
                    grew = True
        for key in list(day.runs):
            if key in done_runs:
                continue
            dag_id, run_id = key
            run = day.runs[key] = api.run(dag_id, run_id)
            tis = api.task_instances(dag_id, run_id)
            _report_tasks(tis, reported, log_folder, day, say)
            if run["state"] in TERMINAL:
                done_runs.add(key)
                took = ""
                if run.get("start_date") and run.get("end_date"):
                    took = f" in {_elapsed(run['start_date'], run['end_date']):.0f}s"
                counts = Counter(_MARKS.get(ti["state"], ti["state"]) for ti in tis)
                tasks = ", ".join(f"{n} {mark}" for mark, n in sorted(counts.items()))
                say(f"  {dag_id}: {run['state']}{took} ({run['run_type'].replace('_', ' ')}; tasks: {tasks})")
        busy = len(done_runs) < len(day.runs) or any(api.queued_asset_events(d) for d in followers)
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= QUIET_S:
            return day
        time.sleep(poll_s)
    raise TimeoutError(f"the day's run was still busy after {timeout_s:.0f}s: "
                       f"{sorted(d for d, r in day.runs if (d, r) not in done_runs)}")


def _elapsed(start: str, end: str) -> float:
    return (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds()


def _report_tasks(tis: list[dict], reported: set, log_folder: Path, day: DayRun, say) -> None:
    groups: dict[str, list[dict]] = {}
    for ti in tis:
        group = _group(ti["task_id"])
        if group:
            groups.setdefault(group, []).append(ti)
            continue
        key = (ti["dag_id"], ti["dag_run_id"], ti["task_id"])
        if key in reported or ti["state"] not in ("success", "failed", "upstream_failed", "skipped"):
            continue
        reported.add(key)
        if _worth_a_line(ti["state"], _seconds(ti)):
            _say_task(ti["dag_id"], ti["task_id"], ti["state"], _seconds(ti), say)
        if ti["state"] == "failed":
            failure = Failure(ti["dag_id"], ti["dag_run_id"], ti["task_id"], log_path(log_folder, ti))
            day.failures.append(failure)
            say(f"      log: {failure.log}")
    for group, members in groups.items():
        key = (members[0]["dag_id"], members[0]["dag_run_id"], group)
        states = {m["state"] for m in members}
        if key in reported or not states <= {"success", "failed", "upstream_failed", "skipped", "removed"}:
            continue
        reported.add(key)
        failed = [m for m in members if m["state"] == "failed"]
        starts = [m["start_date"] for m in members if m.get("start_date")]
        ends = [m["end_date"] for m in members if m.get("end_date")]
        took = _elapsed(min(starts), max(ends)) if starts and ends else 0.0
        state = "failed" if failed else "success"
        if _worth_a_line(state, took):
            _say_task(members[0]["dag_id"], f"{group} ({len(members)} tasks)", state, took, say)
        for ti in failed:
            failure = Failure(ti["dag_id"], ti["dag_run_id"], ti["task_id"], log_path(log_folder, ti))
            day.failures.append(failure)
            say(f"      {ti['task_id']} failed; log: {failure.log}")


_MARKS = {"success": "ok", "failed": "FAILED", "upstream_failed": "not run (upstream failed)", "skipped": "skipped"}
# a task that ended well this fast gets no line of its own: its DAG's line counts it
QUICK_TASK_S = 15.0


def _worth_a_line(state: str, seconds: float) -> bool:
    return state not in ("success", "skipped") or seconds >= QUICK_TASK_S


def _say_task(dag_id: str, task: str, state: str, seconds: float, say) -> None:
    say(f"    {dag_id:<22} {task:<40} {_MARKS.get(state, state):<8} {seconds:6.1f}s")

"""Airflow's REST API (v2), as the platform's own commands use it: trigger, watch, pause.

The same calls a data engineer makes with curl or the UI: a JWT from ``/auth/token`` (renewed when
it expires), then ``/api/v2``. Transient failures (the API server restarting) are retried;
an answer the server gives (404, 409, 422) is an error at once, with its detail.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import requests
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

TERMINAL = frozenset({"success", "failed"})


class AirflowAPIError(RuntimeError):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status  # the HTTP status the server answered, when it answered


@dataclass
class AirflowAPI:
    base_url: str
    username: str
    password: str
    timeout: float = 30.0
    _token: str | None = field(default=None, repr=False)
    _session: requests.Session = field(default_factory=requests.Session, repr=False)

    @classmethod
    def for_settings(cls, settings) -> AirflowAPI:
        from citylake.services import airflow

        return cls(airflow.api_url(settings), airflow.ADMIN, airflow.admin_password(settings))

    @retry(retry=retry_if_exception_type(requests.ConnectionError), stop=stop_after_attempt(6),
           wait=wait_exponential(multiplier=0.5, max=8), reraise=True)
    def _login(self) -> str:
        answer = self._session.post(f"{self.base_url}/auth/token", timeout=self.timeout,
                                    json={"username": self.username, "password": self.password})
        if answer.status_code >= 400:
            raise AirflowAPIError(f"Airflow refused the login of {self.username!r}: "
                                  f"{answer.status_code} {answer.text[:200]}")
        return answer.json()["access_token"]

    @retry(retry=retry_if_exception_type(requests.ConnectionError), stop=stop_after_attempt(6),
           wait=wait_exponential(multiplier=0.5, max=8), reraise=True)
    def request(self, method: str, path: str, **kwargs):
        if self._token is None:
            self._token = self._login()
        for attempt in (1, 2):
            answer = self._session.request(method, f"{self.base_url}/api/v2{path}", timeout=self.timeout,
                                           headers={"Authorization": f"Bearer {self._token}"}, **kwargs)
            if answer.status_code == 401 and attempt == 1:
                self._token = self._login()  # expired
                continue
            break
        if answer.status_code >= 400:
            raise AirflowAPIError(f"{method} /api/v2{path}: {answer.status_code} {answer.text[:500]}",
                                  answer.status_code)
        return answer.json() if answer.content else None

    # -- what the platform's commands need --
    def dags(self) -> list[dict]:
        return self.request("GET", "/dags", params={"limit": 1000})["dags"]

    def dag(self, dag_id: str) -> dict:
        return self.request("GET", f"/dags/{dag_id}")

    def set_paused(self, dag_id: str, paused: bool) -> dict:
        return self.request("PATCH", f"/dags/{dag_id}", json={"is_paused": paused})

    def trigger(self, dag_id: str, conf: dict | None = None, note: str | None = None) -> dict:
        body = {"logical_date": None, "conf": conf or {}}
        if note:
            body["note"] = note
        return self.request("POST", f"/dags/{dag_id}/dagRuns", json=body)

    def run(self, dag_id: str, run_id: str) -> dict:
        return self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}")

    def runs(self, dag_id: str = "~", since: str | None = None, limit: int = 100) -> list[dict]:
        params = {"limit": limit, "order_by": "-run_after"}
        if since:
            params["run_after_gte"] = since
        return self.request("GET", f"/dags/{dag_id}/dagRuns", params=params)["dag_runs"]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        return self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances",
                            params={"limit": 1000})["task_instances"]

    def upstream_asset_events(self, dag_id: str, run_id: str) -> list[dict]:
        """The Asset events that started an asset-triggered run (each names its source run)."""
        return self.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}/upstreamAssetEvents")["asset_events"]

    def queued_asset_events(self, dag_id: str) -> list[dict]:
        return self.request("GET", f"/dags/{dag_id}/assets/queuedEvents")["queued_events"]

    def import_errors(self) -> list[dict]:
        return self.request("GET", "/importErrors", params={"limit": 1000})["import_errors"]

    def healthy(self) -> dict:
        answer = self._session.get(f"{self.base_url}/api/v2/monitor/health", timeout=self.timeout)
        answer.raise_for_status()
        return answer.json()

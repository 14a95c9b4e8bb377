"""Suites for the camera silver tables (spark_jobs/camera_events.py and camera_analytics.py).

Each event table has exactly the columns the job writes — an extra column (a face crop, an embedding,
a plate) fails the audit until the contract says so — one row per event id, and counts that cannot be
negative; the analytics tables their keys, rates and the congestion index within 0–1.
"""
from __future__ import annotations

import copy
from collections.abc import Callable

import great_expectations as gx
import great_expectations.expectations as gxe

from citylake.events import VEHICLE_TYPES
from expectations.generated import WARD_CODE_REGEX, _key

SUB_CATEGORIES = ["trafficJam", "carStopped", "carAccident", "crowdAboveThreshold", "civilDisorder"]


def _non_negative(*columns: str) -> list[gxe.Expectation]:
    return [gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0) for c in columns]


def _rates(*columns: str) -> list[gxe.Expectation]:
    return [gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=1) for c in columns]


def _event_suite(event_type: str, rules: list[gxe.Expectation]) -> Callable[[], gx.ExpectationSuite]:
    from spark_jobs.camera_events import TABLES, silver_columns

    def suite() -> gx.ExpectationSuite:
        return gx.ExpectationSuite(name=f"silver_cameras_{TABLES[event_type]}", expectations=[
            gxe.ExpectTableColumnsToMatchSet(column_set=silver_columns(event_type), exact_match=True),
            *_key(["event_id"]), gxe.ExpectColumnValuesToNotBeNull(column="camera_id"),
            gxe.ExpectColumnValuesToMatchRegex(column="ward_code_2025", regex=WARD_CODE_REGEX), *_fresh(rules)])
    return suite


def _fresh(rules: list[gxe.Expectation]) -> list[gxe.Expectation]:
    """Copies: a GX expectation belongs to the one suite it was added to, and a suite is built per audit."""
    return [copy.copy(rule) for rule in rules]


def _suite(name: str, key: list[str], rules: list[gxe.Expectation]) -> Callable[[], gx.ExpectationSuite]:
    return lambda: gx.ExpectationSuite(name=name, expectations=[*_key(key), *_fresh(rules)])


CAMERA_SUITES: dict[str, Callable[[], gx.ExpectationSuite]] = {
    "silver_cameras_traffic_flow_observed": _event_suite("TrafficFlowObserved", [
        *_non_negative("intensity", "stopped_vehicles", *VEHICLE_TYPES), *_rates("occupancy")]),
    "silver_cameras_crowd_flow_observed": _event_suite("CrowdFlowObserved", [
        *_non_negative("people_count", "threshold"), *_rates("occupancy")]),
    "silver_cameras_alerts": _event_suite("Alert", [
        gxe.ExpectColumnValuesToBeInSet(column="sub_category", value_set=SUB_CATEGORIES),
        gxe.ExpectColumnValuesToBeInSet(column="category", value_set=["traffic", "security"])]),
    "silver_cameras_traffic_flow_5min": _suite("silver_cameras_traffic_flow_5min", ["camera_id", "window_start"], [
        *_non_negative("observations", "intensity", "stopped_vehicles", *VEHICLE_TYPES),
        *_rates("congested_share", "congestion_index"),
        gxe.ExpectColumnValuesToNotBeNull(column="congestion_index")]),
    "silver_cameras_traffic_flow_ward_5min": _suite(
        "silver_cameras_traffic_flow_ward_5min", ["ward_code_2025", "window_start"], [
            *_non_negative("cameras", "observations", "intensity"), *_rates("congested_share", "congestion_index"),
            gxe.ExpectColumnValuesToMatchRegex(column="ward_code_2025", regex=WARD_CODE_REGEX)]),
    "silver_cameras_hotspots_camera_daily": _suite(
        "silver_cameras_hotspots_camera_daily", ["camera_id", "local_date"], [
            *_non_negative("alerts", "crowd_observations_above_threshold"),
            gxe.ExpectColumnValuesToBeBetween(column="rank", min_value=1)]),
    "silver_cameras_hotspots_ward_daily": _suite(
        "silver_cameras_hotspots_ward_daily", ["ward_code_2025", "local_date"], [
            *_non_negative("alerts", "crowd_observations_above_threshold"),
            gxe.ExpectColumnValuesToBeBetween(column="rank", min_value=1)]),
}

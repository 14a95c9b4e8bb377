"""Camera events: one versioned schema shared by the edge analytics, the fleet simulator and ingestion.

Events are FIWARE Smart Data Models in keyValues form — ``TrafficFlowObserved``,
``CrowdFlowObserved`` and ``Alert`` (traffic and public-order incidents) — plus a few citylake
fields (``schemaVersion``, ``eventId``, ``cameraId``, ``publishedAt``, ``source``,
``vehicleCounts``, ``stoppedVehicles``, ``threshold``). The JSON Schema is
``citylake/schemas/camera-event-1.json``; a minor version may add optional fields, a new major version
gets a new schema file and is dead-lettered by consumers that do not know it.

Topics: ``citylake/v1/cameras/<camera id>/<traffic|crowd|incident>``, published at QoS 1. Faces
never travel on the bus: watchlist matches go straight to a restricted table (vision.faces).
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
import uuid
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
from fastjsonschema import JsonSchemaValueException

SCHEMA_VERSION = "1.0"
TOPIC_ROOT = "citylake/v1/cameras"
SUBSCRIPTION = f"{TOPIC_ROOT}/+/+"
KINDS = {"TrafficFlowObserved": "traffic", "CrowdFlowObserved": "crowd", "Alert": "incident"}
VEHICLE_TYPES = ("motorcycle", "car", "bus", "truck", "bicycle")
_NAMESPACE = uuid.UUID("6f1c6f2e-8d1c-4a55-9a0e-2c1f5b7d9e01")


class InvalidEvent(ValueError):
    """A payload that is not a valid camera event; ``reason`` goes to the dead-letter table."""

    def __init__(self, reason: str):
        reason = reason if len(reason) <= 500 else reason[:499] + "…"   # a reason, not a copy of the payload
        super().__init__(reason)
        self.reason = reason


def topic(camera_id: str, event_type: str) -> str:
    return f"{TOPIC_ROOT}/{camera_id}/{KINDS[event_type]}"


def iso(ts: dt.datetime) -> str:
    """UTC, millisecond precision, with a Z: what every timestamp in an event looks like."""
    if ts.tzinfo is None:
        raise ValueError("event timestamps must be timezone-aware")
    return ts.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_id(camera_id: str, event_type: str, observed: dt.datetime, discriminator: str = "") -> str:
    """Deterministic: the same observation published twice (a retry, a replay) has the same id."""
    return str(uuid.uuid5(_NAMESPACE, f"{camera_id}|{event_type}|{iso(observed)}|{discriminator}"))


def _base(event_type: str, camera_id: str, observed: dt.datetime, lon: float, lat: float, source: str,
          discriminator: str = "") -> dict:
    return {
        "schemaVersion": SCHEMA_VERSION,
        "eventId": event_id(camera_id, event_type, observed, discriminator),
        "id": f"urn:ngsi-ld:{event_type}:{camera_id}:{iso(observed)}{':' + discriminator if discriminator else ''}",
        "type": event_type,
        "cameraId": camera_id,
        "refDevice": f"urn:ngsi-ld:Device:{camera_id}",
        "dateObserved": iso(observed),
        "location": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
        "source": source,
    }


def traffic_flow(camera_id: str, start: dt.datetime, end: dt.datetime, counts: dict[str, int], lon: float,
                 lat: float, *, congested: bool, average_speed_kmh: float | None = None,
                 occupancy: float | None = None, stopped_vehicles: int = 0, source: str = "vision") -> dict:
    unknown = set(counts) - set(VEHICLE_TYPES)
    if unknown:
        raise ValueError(f"unknown vehicle types {sorted(unknown)}")
    event = _base("TrafficFlowObserved", camera_id, end, lon, lat, source)
    event.update({"dateObservedFrom": iso(start), "dateObservedTo": iso(end),
                  "intensity": int(sum(counts.values())),
                  "vehicleCounts": {k: int(counts.get(k, 0)) for k in VEHICLE_TYPES},
                  "averageVehicleSpeed": average_speed_kmh, "occupancy": occupancy,
                  "stoppedVehicles": int(stopped_vehicles), "congested": bool(congested)})
    return event


def crowd_flow(camera_id: str, start: dt.datetime, end: dt.datetime, people: int, lon: float, lat: float, *,
               threshold: int, occupancy: float | None = None, source: str = "vision") -> dict:
    event = _base("CrowdFlowObserved", camera_id, end, lon, lat, source)
    event.update({"dateObservedFrom": iso(start), "dateObservedTo": iso(end), "peopleCount": int(people),
                  "occupancy": occupancy, "threshold": int(threshold), "congested": people > threshold})
    return event


def alert(camera_id: str, issued: dt.datetime, category: str, sub_category: str, lon: float, lat: float, *,
          severity: str = "medium", description: str = "", source: str = "vision") -> dict:
    event = _base("Alert", camera_id, issued, lon, lat, source, discriminator=sub_category)
    event.update({"category": category, "subCategory": sub_category, "severity": severity,
                  "dateIssued": iso(issued), "description": description[:500]})
    return event


def encode(event: dict, published: dt.datetime | None = None) -> bytes:
    """Stamp ``publishedAt`` (the start of the end-to-end latency) and serialise."""
    event = dict(event, publishedAt=iso(published or dt.datetime.now(dt.UTC)))
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


# ---------------------------------------------------------------------------------------------
# Consumer side: validate and flatten into the bronze row
# ---------------------------------------------------------------------------------------------

BRONZE_SCHEMA = pa.schema([
    ("event_id", pa.string()),
    ("schema_version", pa.string()),
    ("event_type", pa.string()),
    ("camera_id", pa.string()),
    ("date_observed", pa.timestamp("us", tz="UTC")),
    ("published_at", pa.timestamp("us", tz="UTC")),
    ("topic", pa.string()),
    ("payload", pa.string()),          # the event as received (JSON); silver parses by type
    ("event_date", pa.string()),       # partition: the observation's UTC date
    # stamped by the stream consumer, not by parse(): the commit time (end of the end-to-end
    # latency) and the micro-batch sequence number (= the Delta app transaction version)
    ("_ingested_at", pa.timestamp("us", tz="UTC")),
    ("_batch", pa.int64()),
])


# What a message may be before it is even parsed: an event is under 2 KiB; the broker allows 1 MiB.
MAX_PAYLOAD_BYTES = 64 * 1024
MAX_DEPTH = 16                     # an event nests 3 deep (location.coordinates)
MAX_INT = 2 ** 53                  # exact in every reader (JavaScript, Spark double, int64)
# Plausible observation times, relative to when the consumer received the message: a camera's
# clock may run a little ahead; a replay or a session queued while the consumer was down (the
# broker keeps it 7 days) may be weeks old. Outside that the clock is wrong: dead letter.
MAX_AHEAD = dt.timedelta(hours=1)
MAX_AGE = dt.timedelta(days=30)


@lru_cache(maxsize=1)
def _validator():
    """The JSON Schema compiled to Python (fastjsonschema): ~20× jsonschema, 2,000 events/s is cheap."""
    import fastjsonschema

    schema = json.loads((Path(__file__).parent / "schemas" / "camera-event-1.json").read_text())
    return fastjsonschema.compile(schema, formats={"date-time": _is_timestamp})


def _is_timestamp(value) -> bool:
    try:
        ts = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return ts.tzinfo is not None and ts.astimezone(dt.UTC) is not None
    except (AttributeError, TypeError, ValueError, OverflowError):
        return False


def _timestamp(value: str, field: str) -> dt.datetime:
    try:
        ts = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, TypeError, ValueError):
        raise InvalidEvent(f"{field}: not an ISO 8601 timestamp: {value!r}") from None
    if ts.tzinfo is None:
        raise InvalidEvent(f"{field}: timestamp without a time zone: {value!r}")
    try:
        return ts.astimezone(dt.UTC)
    except OverflowError:
        raise InvalidEvent(f"{field}: out of range in UTC: {value!r}") from None


def _int(text: str) -> int:
    """JSON integers: refuse what no reader downstream holds exactly (and Python's 4,300-digit cap)."""
    if len(text) > 20:
        raise InvalidEvent(f"integer out of range: {text[:30]}… ({len(text)} digits)")
    value = int(text)
    if abs(value) > MAX_INT:
        raise InvalidEvent(f"integer out of range: {text}")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InvalidEvent(f"number out of range: {text[:30]}")
    return value


def _constant(name: str):
    raise InvalidEvent(f"not JSON: {name} is not a JSON number")


_TOKENS = re.compile(r'\\.|["\[\]{}]')   # an escape pair, a quote or a bracket: linear, no backtracking


def _depth(text: str) -> int:
    """Nesting depth, counted before parsing: the parser's own limit (RecursionError) depends on how
    deep the caller's stack already is, so the same message would get different reasons."""
    if text.count("{") + text.count("[") <= MAX_DEPTH:
        return 0                                        # an event: nothing to count
    depth = deepest = 0
    in_string = False
    for token in _TOKENS.findall(text):
        if token == '"':
            in_string = not in_string
        elif in_string or len(token) == 2:              # inside a string, or an escape
            continue
        elif token in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    break
        else:
            depth -= 1
    return deepest


def decode(payload: bytes) -> dict:
    """The message as a JSON object, or :class:`InvalidEvent`: size, UTF-8, nesting and numbers checked."""
    if not isinstance(payload, (bytes, bytearray)):
        raise InvalidEvent(f"payload is {type(payload).__name__}, not bytes")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise InvalidEvent(f"oversize: {len(payload)} bytes (limit {MAX_PAYLOAD_BYTES})")
    try:
        text = bytes(payload).decode("utf-8")    # RFC 8259: JSON between systems is UTF-8, nothing else
    except UnicodeDecodeError as exc:
        raise InvalidEvent(f"not JSON: not UTF-8 text ({exc})") from None
    if _depth(text) > MAX_DEPTH:
        raise InvalidEvent(f"nested deeper than {MAX_DEPTH} levels")
    try:
        event = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except InvalidEvent:
        raise
    except RecursionError:                      # not expected after the count: still, a reason
        raise InvalidEvent(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:                   # JSONDecodeError is one
        raise InvalidEvent(f"not JSON: {exc}") from None
    if not isinstance(event, dict):
        raise InvalidEvent(f"not a JSON object but {type(event).__name__}")
    return event


def _schema_message(exc: JsonSchemaValueException) -> str:
    """fastjsonschema's message, with the unexpected keys sorted (it prints a set: the order would vary
    from process to process, and the same message would get two reasons)."""
    if exc.rule == "additionalProperties" and isinstance(exc.value, dict):
        allowed = set((exc.definition or {}).get("properties", {}))
        return f"{exc.name} must not contain {sorted(k for k in exc.value if k not in allowed)} properties"
    return exc.message


def parse(payload: bytes, topic_name: str, received: dt.datetime | None = None) -> dict:
    """One bronze row from one MQTT message, or :class:`InvalidEvent` with the reason — never another
    exception, whatever the bytes (a message that crashed the consumer would crash it on every
    redelivery). With ``received``, times implausibly far from it are refused too."""
    event = decode(payload)
    version = event.get("schemaVersion", "")
    if not isinstance(version, str) or not version.startswith("1."):
        raise InvalidEvent(f"unsupported schemaVersion {version!r} (this consumer reads 1.x)")
    try:
        _validator()(event)
    except JsonSchemaValueException as exc:
        raise InvalidEvent(f"schema: {_schema_message(exc)}") from None
    parts = topic_name.split("/")
    if len(parts) != 5 or "/".join(parts[:3]) != TOPIC_ROOT or parts[3] != event["cameraId"] \
            or parts[4] != KINDS[event["type"]]:
        raise InvalidEvent(f"topic {topic_name!r} does not match camera {event['cameraId']!r} / {event['type']}")
    observed = _timestamp(event["dateObserved"], "dateObserved")
    published = _timestamp(event["publishedAt"], "publishedAt")
    for field in ("dateObservedFrom", "dateObservedTo", "dateIssued"):
        if field in event:
            _timestamp(event[field], field)
    if received is not None:
        for field, ts in (("dateObserved", observed), ("publishedAt", published)):
            if ts > received + MAX_AHEAD:
                raise InvalidEvent(f"implausible {field}: {iso(ts)} is {ts - received} ahead of its receipt "
                                   f"at {iso(received)} (a wrong clock?)")
            if ts < received - MAX_AGE:
                raise InvalidEvent(f"implausible {field}: {iso(ts)} is {received - ts} before its receipt "
                                   f"at {iso(received)} (over {MAX_AGE.days} days)")
    if event["type"] == "TrafficFlowObserved" and event["intensity"] != sum(event["vehicleCounts"].values()):
        raise InvalidEvent("intensity is not the sum of vehicleCounts")
    return {"event_id": event["eventId"], "schema_version": version, "event_type": event["type"],
            "camera_id": event["cameraId"], "date_observed": observed, "published_at": published,
            "topic": topic_name, "payload": payload.decode(), "event_date": observed.date().isoformat()}

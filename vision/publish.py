"""Where camera events go: Mosquitto over MQTT (QoS 1), or a list in memory for tests and benchmarks.

Both take the builders' event dicts (``citylake.events``); faces and embeddings never reach here.
"""
from __future__ import annotations

import threading
import time
import uuid

import paho.mqtt.client as mqtt

from citylake import events


class MqttPublisher:
    """QoS 1 publisher that survives broker restarts.

    paho's network thread reconnects with backoff (1 s … ``max_delay_s``); QoS 1 messages
    published while the broker is away wait in paho's queue and go out on reconnect, and the
    broker acknowledges each one (PUBACK). ``flush`` waits for every acknowledgement.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 1883, *, client_id: str | None = None,
                 qos: int = 1, max_delay_s: int = 30, max_queued: int = 100_000,
                 credentials: tuple[str, str] | None = None):
        self.qos = qos
        self.published = 0
        self.connected = threading.Event()
        self.disconnects = 0
        # message ids sent and not yet acknowledged; an ack can beat publish() back to us, so acks
        # of ids not yet recorded wait in _early (paho calls on_publish under its own lock: never
        # hold ours around client.publish)
        self._pending: set[int] = set()
        self._early: set[int] = set()
        self._lock = threading.Lock()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                  client_id=client_id or f"citylake-vision-{uuid.uuid4().hex[:8]}",
                                  clean_session=False)
        if credentials is not None:
            self.client.username_pw_set(*credentials)
        self.client.max_queued_messages_set(max_queued)
        self.client.max_inflight_messages_set(200)
        self.client.reconnect_delay_set(1, max_delay_s)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.connect_async(host, port, keepalive=30)
        self.client.loop_start()

    @classmethod
    def for_settings(cls, settings, **kwargs) -> MqttPublisher:
        from citylake.services import mosquitto

        return cls("127.0.0.1", settings.mqtt_port, credentials=settings.mqtt_credentials(mosquitto.VISION), **kwargs)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if not reason_code.is_failure:
            self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        self.disconnects += 1

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        with self._lock:
            if mid in self._pending:
                self._pending.discard(mid)
            else:
                self._early.add(mid)

    def publish(self, event: dict) -> None:
        info = self.client.publish(events.topic(event["cameraId"], event["type"]), events.encode(event),
                                   qos=self.qos)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):   # NO_CONN: queued for later
            raise RuntimeError(f"MQTT publish refused: {mqtt.error_string(info.rc)}")
        with self._lock:
            self.published += 1
            if info.mid in self._early:
                self._early.discard(info.mid)
            else:
                self._pending.add(info.mid)

    @property
    def unacknowledged(self) -> int:
        with self._lock:
            return len(self._pending)

    def flush(self, timeout_s: float = 10.0) -> bool:
        """True when the broker acknowledged everything published so far."""
        deadline = time.monotonic() + timeout_s
        while self.unacknowledged and time.monotonic() < deadline:
            time.sleep(0.02)
        return not self.unacknowledged

    def close(self, timeout_s: float = 10.0) -> bool:
        ok = self.flush(timeout_s)
        self.client.disconnect()
        self.client.loop_stop()
        return ok


class Collector:
    """In-process publisher: keeps each event as published (topic, encoded payload)."""

    def __init__(self):
        self.messages: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()

    def publish(self, event: dict) -> None:
        with self._lock:
            self.messages.append((events.topic(event["cameraId"], event["type"]), events.encode(event)))

    @property
    def events(self) -> list[dict]:
        import json

        return [json.loads(payload) for _, payload in self.messages]

    def flush(self, timeout_s: float = 0) -> bool:
        return True

    def close(self, timeout_s: float = 0) -> bool:
        return True

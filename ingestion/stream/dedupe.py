"""A bounded set of recently committed ids: what makes a redelivery or a publisher's retry a no-op.

QoS 1 is at-least-once. After a crash between a Delta commit and its acks, the broker redelivers
the batch; a camera that lost its PUBACK publishes again. Both carry ids committed moments ago, so
remembering the last few hundred thousand (seeded from the table on start-up) is enough; an id
older than the window is not checked here (silver keeps one row per event id regardless).
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable


class RecentIds:
    """Membership over the last ``capacity`` ids added, oldest forgotten first."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._order: deque[str] = deque()
        self._ids: set[str] = set()

    def __contains__(self, item: str) -> bool:
        return item in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add_all(self, ids: Iterable[str]) -> None:
        for item in ids:
            if item in self._ids:
                continue
            self._ids.add(item)
            self._order.append(item)
        while len(self._order) > self.capacity:
            self._ids.discard(self._order.popleft())

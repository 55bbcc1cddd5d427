"""What a transport must do, whatever carries the messages."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outgoing:
    event_id: str
    type: str
    body: bytes
    correlation_id: str | None = None


# (queue, body, error, attempts) -> None: records a parked message where ops can see it.
DeadLetterSink = Callable[[str, bytes, str, int], None]


@dataclass
class Subscription:
    """One handler of one service: its own durable queue, bound to the event types it wants."""
    service: str
    handler: str
    event_types: tuple[str, ...]
    callback: Callable[[bytes], None]  # raises to retry, PermanentFailure to park at once
    dead_letter: DeadLetterSink | None = field(default=None, repr=False)

    @property
    def queue(self) -> str:
        return f"baokao.{self.service}.{self.handler}"


class PublishError(Exception):
    """Not every message was confirmed by the broker; the caller must keep them unsent."""


class Transport(ABC):
    @abstractmethod
    def publish(self, messages: list[Outgoing]) -> None:
        """Deliver all messages durably or raise PublishError (then some may still arrive)."""

    @abstractmethod
    def redeliver(self, queue: str, body: bytes) -> None:
        """Put a parked message back on one handler's queue (dead-letter replay)."""

    @abstractmethod
    def ping(self) -> bool: ...

    def close(self) -> None:  # pragma: no cover - optional
        pass


def topic_matches(pattern: str, key: str) -> bool:
    """AMQP topic semantics: ``*`` is exactly one word, ``#`` zero or more."""
    p, k = pattern.split("."), key.split(".")

    def match(i: int, j: int) -> bool:
        if i == len(p):
            return j == len(k)
        if p[i] == "#":
            return any(match(i + 1, jj) for jj in range(j, len(k) + 1))
        return j < len(k) and p[i] in ("*", k[j]) and match(i + 1, j + 1)
    return match(0, 0)

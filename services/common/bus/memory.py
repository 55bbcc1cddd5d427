"""The in-process bus of embedded mode: same semantics as RabbitMQ, minus durability.

Each subscription has its own queue and thread (a competing consumer of one); failures are
retried after the configured delays and then parked through the service's dead-letter sink.
Durability comes from the outbox: an event is marked sent only once every queue holds it, so
``shutdown`` must not drop what the queues hold (a restart would never see it again).
"""
from __future__ import annotations

import logging
import queue
import threading
import traceback

from services.common.bus.base import Outgoing, PublishError, Subscription, Transport, topic_matches
from services.common.errors import PermanentFailure

log = logging.getLogger(__name__)


class InMemoryBus(Transport):
    def __init__(self, retry_delays_ms: tuple[int, ...] = (50, 200, 1000)):
        self.retry_delays = [d / 1000 for d in retry_delays_ms]
        self._subs: list[tuple[Subscription, queue.Queue]] = []
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._idle = threading.Condition()
        self._in_flight = 0
        # Messages waiting out a retry delay: token -> (timer, subscription, body, attempt, error).
        self._retries: dict[object, tuple] = {}
        self._draining = False
        self.published: list[Outgoing] = []  # every message accepted, for contract tests

    def subscribe(self, sub: Subscription) -> None:
        """Bind a handler's queue; its consumer thread starts at once (like a durable queue,
        it receives every event published from now on)."""
        with self._lock:
            q: queue.Queue = queue.Queue()
            self._subs.append((sub, q))
            self._start_one(sub, q)

    def start(self) -> None:
        """Kept for symmetry with the broker transport: consumers start when they subscribe."""

    def _start_one(self, sub: Subscription, q: queue.Queue) -> None:
        t = threading.Thread(target=self._consume, args=(sub, q), daemon=True,
                             name=f"bus:{sub.queue}")
        t.start()
        self._threads.append(t)

    def stop(self) -> None:
        """Stop at once, dropping what is queued (tests); ``shutdown`` is the clean stop."""
        self._stop.set()
        for _, q in self._subs:
            q.put(None)

    def shutdown(self, timeout: float = 10.0) -> int:
        """Handle what the queues hold, then stop; return how many messages were not handled.

        Their outbox rows are already marked sent, so nothing may be dropped. A retry waits up
        to 30 s, longer than a stop should take: a message waiting for one (or failing now) is
        parked at once with its error, for ops to replay after the restart, and so is anything
        still queued after ``timeout`` seconds (a handler that hangs).
        """
        with self._idle:
            self._draining = True
            waiting, self._retries = list(self._retries.values()), {}
        for timer, sub, body, attempt, error in waiting:
            timer.cancel()
            self._park_unhandled(sub, body, f"stopped before retry {attempt}; last error:\n{error}",
                                 attempt)
        self.wait_idle(timeout)
        self.stop()
        for t in self._threads:
            t.join(max(0.1, timeout / 10))
        left = [(sub, item) for sub, q in self._subs for item in _drain(q) if item is not None]
        for sub, (body, attempt) in left:
            self._park_unhandled(sub, body, "not handled before the platform stopped", attempt)
        with self._idle:
            hung = self._in_flight
        if hung:
            log.error("%d message(s) still in a handler after %.0fs: they are lost", hung, timeout)
        return len(waiting) + len(left) + hung

    def _park_unhandled(self, sub: Subscription, body: bytes, error: str, attempt: int) -> None:
        try:
            self._park(sub, body, error, attempt)
        except Exception:  # noqa: BLE001 - the others are still parked
            log.exception("could not park an unhandled message of %s", sub.queue)
        finally:
            self._done()

    def _enqueue(self, q: queue.Queue, item) -> None:
        with self._idle:
            self._in_flight += 1
        q.put(item)

    def _done(self) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()

    def publish(self, messages: list[Outgoing]) -> None:
        if self._stop.is_set() or self._draining:  # the relay keeps the rows unsent
            raise PublishError("the in-process bus is stopping")
        for m in messages:
            self.published.append(m)
            for sub, q in self._subs:
                if any(topic_matches(p, m.type) for p in sub.event_types):
                    self._enqueue(q, (m.body, 0))

    def redeliver(self, queue_name: str, body: bytes) -> None:
        for sub, q in self._subs:
            if sub.queue == queue_name:
                self._enqueue(q, (body, 0))
                return
        raise KeyError(f"no subscription for queue {queue_name}")

    def ping(self) -> bool:
        return not self._stop.is_set()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no message is queued, being handled or waiting for a retry (tests)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def handle_now(self, sub: Subscription, body: bytes, attempt: int) -> None:
        try:
            sub.callback(body)
        except PermanentFailure as exc:
            self._park(sub, body, f"PermanentFailure: {exc}", attempt + 1)
        except Exception as exc:  # noqa: BLE001 - any handler error is retried, then parked
            if attempt < len(self.retry_delays) and self._retry_later(sub, body, attempt, exc):
                log.warning("handler %s failed (attempt %d): %s", sub.queue, attempt + 1, exc)
            else:
                self._park(sub, body, "".join(traceback.format_exception(exc))[-4000:],
                           attempt + 1)

    def _retry_later(self, sub: Subscription, body: bytes, attempt: int, exc: Exception) -> bool:
        """Schedule the next attempt; False while shutting down (then it is parked now)."""
        with self._idle:
            if self._draining:
                return False
            token = object()
            timer = threading.Timer(self.retry_delays[attempt], self._retry, (token,))
            timer.daemon = True
            self._retries[token] = (timer, sub, body, attempt + 1,
                                    "".join(traceback.format_exception(exc))[-4000:])
            self._in_flight += 1
            timer.start()
            return True

    def _retry(self, token: object) -> None:
        with self._idle:
            entry = self._retries.pop(token, None)
        if entry is None:  # shutdown parked it meanwhile
            return
        _, sub, body, attempt, _ = entry
        next(q for s, q in self._subs if s is sub).put((body, attempt))

    def _park(self, sub: Subscription, body: bytes, error: str, attempts: int) -> None:
        if sub.dead_letter is None:
            log.error("no dead-letter sink for %s; dropping after %d attempts", sub.queue, attempts)
            return
        sub.dead_letter(sub.queue, body, error, attempts)

    def _consume(self, sub: Subscription, q: queue.Queue) -> None:
        while not self._stop.is_set():
            item = q.get()
            if item is None:
                return
            body, attempt = item
            try:
                self.handle_now(sub, body, attempt)
            except Exception:  # noqa: BLE001 - a worker thread never dies on one message
                log.exception("dead-letter sink failed for %s", sub.queue)
            finally:
                self._done()


def _drain(q: queue.Queue) -> list:
    items = []
    while True:
        try:
            items.append(q.get_nowait())
        except queue.Empty:
            return items

"""The in-process bus of embedded mode: same semantics as RabbitMQ, minus durability.

Each subscription has its own queue and thread (a competing consumer of one); failures are
retried after the configured delays and then parked through the service's dead-letter sink.
Durability comes from the outbox: an event is marked sent only once every queue holds it.
"""
from __future__ import annotations

import logging
import queue
import threading
import traceback

from services.common.bus.base import Outgoing, Subscription, Transport, topic_matches
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
        self._stop.set()
        for _, q in self._subs:
            q.put(None)

    def _enqueue(self, q: queue.Queue, item) -> None:
        with self._idle:
            self._in_flight += 1
        q.put(item)

    def _done(self) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()

    def publish(self, messages: list[Outgoing]) -> None:
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
            if attempt < len(self.retry_delays):
                log.warning("handler %s failed (attempt %d): %s", sub.queue, attempt + 1, exc)
                with self._idle:
                    self._in_flight += 1
                q = next(q for s, q in self._subs if s is sub)
                timer = threading.Timer(self.retry_delays[attempt], q.put, ((body, attempt + 1),))
                timer.daemon = True
                timer.start()
            else:
                self._park(sub, body, "".join(traceback.format_exception(exc))[-4000:],
                           attempt + 1)

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

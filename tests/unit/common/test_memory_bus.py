"""The in-process bus: routing, retry with back-off, then parking."""
from __future__ import annotations

import threading
import time

import pytest

from services.common.bus.base import Outgoing, PublishError, Subscription
from services.common.bus.memory import InMemoryBus
from services.common.errors import PermanentFailure


class Recorder:
    """A subscription callback that fails a given number of times, and a dead-letter sink."""

    def __init__(self, fail_times: int = 0, exc: type[Exception] = RuntimeError):
        self.fail_times = fail_times
        self.exc = exc
        self.calls: list[tuple[bytes, float]] = []
        self.parked: list[tuple[str, bytes, str, int]] = []
        self.lock = threading.Lock()

    def __call__(self, body: bytes) -> None:
        with self.lock:
            self.calls.append((body, time.monotonic()))
            if len(self.calls) <= self.fail_times:
                raise self.exc(f"failure {len(self.calls)}")

    def park(self, queue: str, body: bytes, error: str, attempts: int) -> None:
        self.parked.append((queue, body, error, attempts))


def _bus(*subs: tuple[str, tuple[str, ...], Recorder]) -> InMemoryBus:
    bus = InMemoryBus(retry_delays_ms=(10, 20, 40))
    for handler, types, rec in subs:
        bus.subscribe(Subscription("svc", handler, types, rec, rec.park))
    bus.start()
    return bus


def _msg(type_: str = "payment.order.paid", body: bytes = b"{}") -> Outgoing:
    return Outgoing("e-1", type_, body)


def test_routes_by_topic_to_every_matching_subscription():
    a, b, c = Recorder(), Recorder(), Recorder()
    bus = _bus(("a", ("payment.#",), a), ("b", ("payment.order.paid",), b),
               ("c", ("identity.*.*",), c))
    try:
        bus.publish([_msg(body=b"1"), _msg("payment.order.refunded", b"2")])
        assert bus.wait_idle(2)
        assert sorted(x for x, _ in a.calls) == [b"1", b"2"]
        assert [x for x, _ in b.calls] == [b"1"]
        assert c.calls == []
        assert len(bus.published) == 2
    finally:
        bus.stop()


def test_failure_is_retried_with_back_off_then_parked():
    rec = Recorder(fail_times=99)
    bus = _bus(("h", ("payment.#",), rec))
    try:
        bus.publish([_msg(body=b"x")])
        assert bus.wait_idle(3)
        times = [t for _, t in rec.calls]
        assert len(times) == 4  # first attempt + 3 retries
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert gaps[0] >= 0.009 and gaps[1] >= 0.019 and gaps[2] >= 0.039
        [(queue, body, error, attempts)] = rec.parked
        assert (queue, body, attempts) == ("baokao.svc.h", b"x", 4)
        assert "RuntimeError: failure 4" in error
    finally:
        bus.stop()


def test_transient_failure_succeeds_on_retry_without_parking():
    rec = Recorder(fail_times=2)
    bus = _bus(("h", ("payment.#",), rec))
    try:
        bus.publish([_msg()])
        assert bus.wait_idle(3)
        assert len(rec.calls) == 3 and rec.parked == []
    finally:
        bus.stop()


def test_permanent_failure_is_parked_at_once():
    rec = Recorder(fail_times=99, exc=PermanentFailure)
    bus = _bus(("h", ("payment.#",), rec))
    try:
        bus.publish([_msg()])
        assert bus.wait_idle(3)
        assert len(rec.calls) == 1
        [(_, _, error, attempts)] = rec.parked
        assert attempts == 1 and error.startswith("PermanentFailure")
    finally:
        bus.stop()


def test_redeliver_replays_to_one_queue_only():
    a, b = Recorder(), Recorder()
    bus = _bus(("a", ("payment.#",), a), ("b", ("payment.#",), b))
    try:
        bus.redeliver("baokao.svc.a", b"again")
        assert bus.wait_idle(2)
        assert [x for x, _ in a.calls] == [b"again"] and b.calls == []
        with pytest.raises(KeyError):
            bus.redeliver("baokao.svc.nope", b"x")
    finally:
        bus.stop()


def test_a_failing_dead_letter_sink_does_not_kill_the_consumer():
    rec = Recorder(fail_times=1, exc=PermanentFailure)

    def broken_sink(*args):
        raise RuntimeError("database down")
    bus = InMemoryBus(retry_delays_ms=(10,))
    bus.subscribe(Subscription("svc", "h", ("payment.#",), rec, broken_sink))
    bus.start()
    try:
        bus.publish([_msg(body=b"1")])
        bus.publish([_msg(body=b"2")])
        assert bus.wait_idle(2)
        assert [x for x, _ in rec.calls] == [b"1", b"2"]
    finally:
        bus.stop()


def test_shutdown_handles_what_is_queued_before_it_returns():
    """Embedded mode's outbox marks an event sent once the bus holds it: a stop that dropped
    the queues would lose it for good."""
    rec = Recorder()
    slow = Subscription("svc", "h", ("payment.#",), lambda body: (time.sleep(0.02), rec(body)),
                        rec.park)
    bus = InMemoryBus(retry_delays_ms=(10,))
    bus.subscribe(slow)
    bus.publish([_msg(body=str(i).encode()) for i in range(20)])
    assert bus.shutdown(5) == 0
    assert sorted(int(x) for x, _ in rec.calls) == list(range(20)) and rec.parked == []
    with pytest.raises(PublishError):  # the relay keeps what comes later unsent
        bus.publish([_msg()])


def test_shutdown_parks_a_message_waiting_for_its_retry_at_once():
    rec = Recorder(fail_times=1)
    bus = _bus_with_delays((5000,), ("h", ("payment.#",), rec))
    bus.publish([_msg(body=b"x")])
    deadline = time.monotonic() + 2
    while not rec.calls and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    assert bus.shutdown(5) == 1
    assert time.monotonic() - started < 2  # not the 5 s retry delay
    [(queue, body, error, attempts)] = rec.parked  # kept, for replay after the restart
    assert (queue, body, attempts) == ("baokao.svc.h", b"x", 1)
    assert "stopped before retry" in error and "RuntimeError: failure 1" in error
    time.sleep(0.1)
    assert len(rec.calls) == 1


def test_shutdown_parks_what_a_hanging_handler_leaves_queued():
    release = threading.Event()
    rec = Recorder()
    bus = InMemoryBus(retry_delays_ms=(10,))
    bus.subscribe(Subscription("svc", "h", ("payment.#",),
                               lambda body: (release.wait(5), rec(body)), rec.park))
    bus.publish([_msg(body=b"1"), _msg(body=b"2")])
    try:
        assert bus.shutdown(0.3) == 2  # one stuck in the handler, one parked from the queue
        assert [(b, e) for _, b, e, _ in rec.parked] == [
            (b"2", "not handled before the platform stopped")]
    finally:
        release.set()


def _bus_with_delays(delays, *subs) -> InMemoryBus:
    bus = InMemoryBus(retry_delays_ms=delays)
    for handler, types, rec in subs:
        bus.subscribe(Subscription("svc", handler, types, rec, rec.park))
    return bus

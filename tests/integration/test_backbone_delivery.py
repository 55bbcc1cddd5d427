"""At-least-once delivery plus the inbox gives exactly-once effects, on the real broker."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from collections import Counter

import pytest

from services.common.bus.base import Outgoing, Transport
from services.common.outbox import OutboxRelay
from tests.integration import backbone_app
from tests.integration.backbone_app import Tap, wait_until

# fixtures
probes, probe_contract = backbone_app.probes, backbone_app.probe_contract
backbone_vhost, wiring = backbone_app.backbone_vhost, backbone_app.wiring

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


class Crash(Exception):
    pass


def test_relay_crash_after_publish_republishes_and_effect_happens_once(probes, backbone_vhost, wiring):
    p = probes()
    tap = Tap(backbone_vhost, wiring["exchange"])
    try:
        consumer = p.start(relay=False)  # the worker declares its queue before anything flows
        wait_until(consumer.amqp_worker.connected.is_set, 10, what="consumer up")
        ids = p.emit(30)

        def crash(rows):
            raise Crash("relay died before marking sent")
        p.runtime.relay.after_publish = crash
        with pytest.raises(Crash):
            p.runtime.relay.relay_once()
        assert p.unsent() == 30  # published, but the crash rolled the marking back
        p.runtime.relay.after_publish = None

        p.start(consume=False)  # the restarted relay republishes; the worker gets both copies
        wait_until(lambda: p.unsent() == 0, 10, what="outbox drained")
        wait_until(lambda: p.effects_total() == 30 and p.calls >= 30, 10, what="effects")
        wait_until(lambda: len(tap.drain()) == 30 and sum(tap.drain().values()) == 60, 5,
                   what="both copies at the tap")
        assert p.effect_counts() == Counter({i: 1 for i in ids})
    finally:
        tap.close()


def test_relay_process_killed_between_publish_and_mark(probes, pg_database, backbone_vhost, wiring,
                                                       tmp_path):
    p = probes()
    tap = Tap(backbone_vhost, wiring["exchange"])
    try:
        consumer = p.start(relay=False)
        wait_until(consumer.amqp_worker.connected.is_set, 10, what="consumer up")
        ids = p.emit(20)
        script = textwrap.dedent(f"""
            import os, pathlib
            from tests.integration.backbone_app import Probe, register_contract
            register_contract()
            p = Probe(pathlib.Path({str(tmp_path)!r}), {pg_database!r}, {backbone_vhost!r}, create=False,
                      service={wiring["service"]!r}, exchange={wiring["exchange"]!r})
            p.runtime.relay.after_publish = lambda rows: os._exit(17)
            p.runtime.relay.relay_once()
        """)
        proc = subprocess.run([sys.executable, "-c", script], cwd=os.getcwd(), timeout=30,
                              capture_output=True, text=True)
        assert proc.returncode == 17, proc.stderr
        assert p.unsent() == 20
        assert sum(tap.drain().values()) == 20  # it did publish before dying

        p.start(consume=False)
        wait_until(lambda: p.effects_total() == 20 and p.unsent() == 0, 10, what="effects")
        wait_until(lambda: sum(tap.drain().values()) == 40, 5, what="republished copies")
        assert p.effect_counts() == Counter({i: 1 for i in ids})
    finally:
        tap.close()


class TwiceTransport(Transport):
    """Publishes every message twice in a row, so competing consumers get both copies at once."""

    def __init__(self, inner: Transport):
        self.inner = inner

    def publish(self, messages: list[Outgoing]) -> None:
        self.inner.publish([m for m in messages for _ in (1, 2)])

    def redeliver(self, queue: str, body: bytes) -> None:
        self.inner.redeliver(queue, body)

    def ping(self) -> bool:
        return self.inner.ping()


def test_every_message_twice_with_competing_consumers_has_one_effect(probes, backbone_vhost, wiring, caplog):
    a, b = probes(), probes()  # two worker processes of one service on one database
    tap = Tap(backbone_vhost, wiring["exchange"])
    try:
        for p in (a, b):
            p.delay = 0.005  # widen the window in which both copies are being handled
            p.start(relay=False)
        for p in (a, b):
            wait_until(p.handles[0].amqp_worker.connected.is_set, 10, what="consumers up")
        relay = OutboxRelay(a.runtime.engine, a.tables, TwiceTransport(a.runtime.transport),
                            batch_size=25)
        ids = []
        for start in range(0, 200, 50):
            ids += a.emit(50, start)
            relay.drain()
        wait_until(lambda: a.effects_total() >= 200, 20, what="effects")
        wait_until(lambda: tap.idle(a.queue), 10, what="queue drained")
        assert a.effect_counts() == Counter({i: 1 for i in ids})
        assert a.calls > 0 and b.calls > 0  # both consumers really competed
        assert tap.drain() == Counter({i: 2 for i in ids})
        assert a.dead_letters() == []
        # A concurrent duplicate is recognised as such, not failed and sent round the retry queues.
        assert [r.getMessage() for r in caplog.records if "failed (attempt" in r.getMessage()] == []
    finally:
        tap.close()


def test_two_relays_on_one_outbox_publish_each_row_once(probes, backbone_vhost, wiring):
    a, b = probes(), probes()
    tap = Tap(backbone_vhost, wiring["exchange"])
    try:
        ids = []
        for start in range(0, 1000, 250):
            ids += a.emit(250, start)
        relays = [OutboxRelay(p.runtime.engine, p.tables, p.runtime.transport, batch_size=20,
                              name=f"relay-{i}") for i, p in enumerate((a, b))]
        threads = [threading.Thread(target=r.drain, daemon=True) for r in relays]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert a.unsent() == 0
        assert relays[0].published_total + relays[1].published_total == 1000
        assert min(r.published_total for r in relays) > 0
        wait_until(lambda: sum(tap.drain().values()) >= 1000, 10, what="all at the tap")
        assert tap.drain() == Counter({i: 1 for i in ids})
    finally:
        tap.close()

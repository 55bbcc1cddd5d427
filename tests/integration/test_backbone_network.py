"""The broker's network goes away: nothing is lost, nothing doubled, nothing hangs."""
from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from services.common.bus.amqp import AmqpTransport, Topology
from services.common.bus.base import Outgoing, PublishError
from tests.integration import backbone_app
from tests.integration.backbone_app import EVENT, wait_until
from tests.support.tcp_proxy import TcpProxy

# fixtures
probes, probe_contract = backbone_app.probes, backbone_app.probe_contract
backbone_vhost, wiring = backbone_app.backbone_vhost, backbone_app.wiring

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.fixture
def proxy():
    p = TcpProxy("127.0.0.1", 5672)
    yield p
    p.close()


def test_connection_cut_mid_stream_loses_and_doubles_nothing(probes, proxy, backbone_vhost):
    p = probes(proxy.url(backbone_vhost))
    handle = p.start()
    wait_until(handle.amqp_worker.connected.is_set, 10, what="consumer up")
    ids: list[str] = []

    def produce():  # the web tier keeps committing, whatever the broker does
        for n in range(0, 300, 10):
            ids.extend(p.emit(10, n))
            time.sleep(0.05)
    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    wait_until(lambda: p.effects_total() >= 50, 10, what="traffic flowing")

    proxy.cut()
    ids.extend(p.emit(20, 1000))  # committed while the broker is unreachable
    time.sleep(2.5)
    assert not handle.amqp_worker.connected.is_set()
    assert p.unsent() >= 20  # events pile up in the outbox, not lost
    handled_during_cut = p.effects_total()
    proxy.resume()

    producer.join(20)
    assert not producer.is_alive()
    wait_until(lambda: p.effects_total() >= len(ids) and p.unsent() == 0, 25,
               what="every event handled after the reconnect")
    time.sleep(0.3)
    assert len(ids) == 320 and p.effects_total() > handled_during_cut
    assert p.effect_counts() == Counter({i: 1 for i in ids})
    assert p.runtime.relay.failures_total > 0  # the relay did notice, and recovered by itself
    assert handle.amqp_worker.connected.is_set()
    assert p.dead_letters() == []


def test_publish_to_a_blackholed_broker_fails_within_the_confirm_timeout(proxy, backbone_vhost, wiring):
    transport = AmqpTransport(proxy.url(backbone_vhost), Topology(wiring["exchange"]),
                              confirm_timeout=1.0)
    try:
        transport.publish([Outgoing("warm-up", EVENT, b"{}")])  # connection established
        proxy.blackhole()
        for attempt in ("open connection", "fresh connection"):
            started = time.monotonic()
            with pytest.raises(PublishError):
                transport.publish([Outgoing(f"lost-{attempt}", EVENT, b"{}")])
            elapsed = time.monotonic() - started
            assert elapsed < 2.0, f"{attempt}: publish took {elapsed:.1f}s"
        proxy.cut()  # connection refused: fails at once, no retry sleeping inside publish
        started = time.monotonic()
        with pytest.raises(PublishError):
            transport.publish([Outgoing("refused", EVENT, b"{}")])
        assert time.monotonic() - started < 1.0
        proxy.resume()
        transport.publish([Outgoing("after", EVENT, b"{}")])  # and it recovers
    finally:
        proxy.resume()
        transport.close()

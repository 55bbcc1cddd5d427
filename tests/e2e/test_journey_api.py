"""The walking skeleton over HTTP through the gateway, in both run modes."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from kombu import Connection, Exchange, Queue

from tests.contract.asyncapi_check import check_envelope
from tests.e2e.journey import Client, walk

pytestmark = pytest.mark.e2e

EXPECTED_NOTICES = {"学历核验通过", "资格审核通过", "缴费成功", "准考证已生成", "成绩已发布", "证书已签发"}


def test_journey_embedded(embedded):
    result = walk(embedded.base_url)
    assert result["application"]["qualified"] is True
    assert EXPECTED_NOTICES <= set(result["notifications"])


class EventTap:
    """An integrator's queue bound to every event: what the platform really published."""

    def __init__(self, amqp_url: str):
        self.conn = Connection(amqp_url)
        exchange = Exchange("baokao.events", "topic", durable=True,
                            arguments={"alternate-exchange": "baokao.unrouted"})
        self.queue = Queue("test.contract-tap", exchange, routing_key="#", durable=False,
                           auto_delete=False)
        self.queue(self.conn.channel()).declare()

    def drain(self) -> list[dict]:
        import json
        events = []
        with self.conn.SimpleQueue(self.queue) as q:
            while True:
                try:
                    msg = q.get(timeout=1)
                except q.Empty:
                    return events
                events.append(json.loads(msg.body))
                msg.ack()


@pytest.mark.integration
@pytest.mark.xdist_group("production")
def test_journey_production_and_every_published_event_matches_the_catalog(production):
    tap = EventTap(production.amqp_url)
    result = walk(production.base_url)
    assert result["application"]["qualified"] is True
    assert EXPECTED_NOTICES <= set(result["notifications"])
    events = tap.drain()
    types = {e["type"] for e in events}
    assert {"identity.candidate.registered", "verification.education.verified",
            "registration.application.submitted", "registration.payment.requested",
            "payment.order.paid", "registration.admit_card.issued",
            "registration.candidate.qualified", "certificates.certificate.issued"} <= types
    for e in events:
        assert check_envelope(e) == [], e["type"]
    # Correlation travels: an event caused by another carries the cause's correlation id.
    by_id = {e["id"]: e for e in events}
    caused = [e for e in events if e.get("causationid") in by_id]
    pairs = {(by_id[e["causationid"]]["type"], e["type"]) for e in caused}
    assert {("identity.candidate.registered", "verification.education.verified"),
            ("registration.payment.requested", "payment.order.created"),
            ("payment.order.paid", "registration.admit_card.issued"),
            ("registration.candidate.qualified", "certificates.certificate.issued")} <= pairs
    for e in caused:
        assert e["correlationid"] == by_id[e["causationid"]]["correlationid"]


@pytest.mark.integration
@pytest.mark.xdist_group("production")
def test_journeys_complete_when_the_broker_goes_away_and_returns(production):
    """Three candidates' journeys run while every connection to RabbitMQ is cut for 4 s."""
    # Sign staff in first: in production a TOTP code signs in once, and waiting for the next
    # code must not push the journeys past the outage.
    staff = Client(production.base_url).sign_in("examadmin")
    cut_done = threading.Event()

    def outage():
        time.sleep(3)
        production.proxy.cut()
        time.sleep(4)
        production.proxy.resume()
        cut_done.set()

    threading.Thread(target=outage, daemon=True).start()
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: walk(production.base_url, staff), range(3)))
    assert cut_done.wait(30)
    assert all(r["application"]["qualified"] for r in results)
    numbers = {r["certificate"]["number"] for r in results}
    assert len(numbers) == 3  # one certificate each: nothing lost, nothing doubled

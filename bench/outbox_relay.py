"""How fast does our outbox + relay publish, compared with publishing straight to RabbitMQ?

Run: ``.venv/bin/python -m bench.outbox_relay [--events 50000]``. A measurement, not a test:
it prints a table and writes bench/results/outbox_relay.{md,json}. Every phase publishes the
same CloudEvents bodies, persistent (delivery_mode 2) and mandatory, to the platform's topic
exchange in a fresh vhost, routed to one durable classic queue, all with publisher confirms:

(a) raw pika, asynchronous confirms with a window of outstanding messages (the fastest safe
    way pika offers; its BlockingConnection waits for each confirm in turn, shown as (a')),
(b) kombu Producer on a Connection with ``confirm_publish`` (waits per message too),
(c) UnitOfWork inserts into a fresh PostgreSQL database, then OutboxRelay drains them,
(d) commit-to-handled latency through the running relay and an AmqpWorker consumer.
"""
from __future__ import annotations

import argparse
import json
import signal
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import amqp
from marshmallow import Schema, fields
from sqlalchemy import MetaData, func, select, update
from sqlalchemy.orm import sessionmaker

from bench import _infra, _report
from services.common.bus.amqp import AmqpTransport, AmqpWorker, Topology
from services.common.bus.base import Subscription
from services.common.db import make_engine, platform_tables
from services.common.events import contract, new_event
from services.common.outbox import OutboxRelay
from services.common.unit_of_work import UnitOfWork, Wakeup

EVENT_TYPE = "bench.probe.recorded"
SOURCE = "/baokao/bench"
SINK = "bench.sink"
RESULTS = Path(__file__).parent / "results"


@contract(EVENT_TYPE, producer="bench", summary="Benchmark probe; never produced by a service.")
class ProbeRecorded(Schema):
    seq = fields.Integer(required=True)
    candidate_id = fields.String(required=True)
    exam_code = fields.String(required=True)
    fee_fen = fields.Integer(required=True)
    committed_at = fields.Float(required=True)  # time.time() just before commit
    note = fields.String(required=True)


def probe(seq: int) -> dict:
    """Event data about the size of a real registration event (~600 bytes as CloudEvent JSON)."""
    return {"seq": seq, "candidate_id": str(uuid.uuid4()), "exam_code": "JZS1-2026-上海",
            "fee_fen": 36000, "committed_at": time.time(),
            "note": "一级建造师执业资格考试报名，专业：建筑工程；考区：上海市；科目：4"}


def bodies(n: int) -> list[tuple[str, bytes]]:
    """(event id, CloudEvent JSON) as the outbox would hold them, built before timing."""
    out = []
    for i in range(n):
        ev = new_event(source=SOURCE, type=EVENT_TYPE, data=probe(i), subject=None, version=1,
                       correlationid=str(uuid.uuid4()), causationid=None)
        out.append((ev.id, ev.to_json().encode()))
    return out


class Clock:
    """Wall and process-CPU seconds of a phase; CPU per event is what the host's load hides least."""

    def __enter__(self):
        self.w0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.w0
        self.cpu = time.process_time() - self.c0

    def rate(self, n: int) -> dict:
        return {"events": n, "per_s": round(n / self.wall, 1),
                "cpu_us_per_event": round(self.cpu / n * 1e6, 1)}


# --- broker plumbing -------------------------------------------------------------------------

def declare_sink(url: str, topology: Topology) -> None:
    """The platform exchange plus one durable queue catching every bench event."""
    with amqp.Connection(_host(url), userid="guest", password="guest",
                         virtual_host=_vhost(url)) as conn:
        conn.connect()
        ch = conn.channel()
        topology.declare_exchange(ch)
        ch.queue_declare(SINK, durable=True, auto_delete=False)
        ch.queue_bind(SINK, topology.exchange, "bench.#")


def sink_depth_and_purge(url: str) -> int:
    with amqp.Connection(_host(url), userid="guest", password="guest",
                         virtual_host=_vhost(url)) as conn:
        conn.connect()
        ch = conn.channel()
        depth = ch.queue_declare(SINK, passive=True).message_count
        ch.queue_purge(SINK)
        return depth


def delete_sink(url: str) -> None:
    with amqp.Connection(_host(url), userid="guest", password="guest",
                         virtual_host=_vhost(url)) as conn:
        conn.connect()
        conn.channel().queue_delete(SINK)


def _host(url: str) -> str:
    from urllib.parse import urlparse
    u = urlparse(url)
    return f"{u.hostname}:{u.port or 5672}"


def _vhost(url: str) -> str:
    from urllib.parse import unquote, urlparse
    return unquote(urlparse(url).path[1:]) or "/"


# --- (a) raw pika ----------------------------------------------------------------------------

def pika_async(url: str, exchange: str, msgs: list[tuple[str, bytes]], window: int) -> dict:
    """SelectConnection, confirm mode, up to ``window`` unconfirmed messages in flight.

    pika's BlockingChannel in confirm mode blocks every basic_publish until its own confirm, so
    the only way to keep the broker busy with pika is the asynchronous adapter: publish while
    fewer than ``window`` are unconfirmed, top up from the ack callback. Returns events/s from
    the first publish to the last confirm.
    """
    import pika
    st = {"sent": 0, "upto": 0, "single": set(), "nacked": 0, "returned": 0, "t0": 0.0, "t1": 0.0,
          "c0": 0.0, "c1": 0.0}
    n = len(msgs)
    ch_box: list = []

    def confirmed() -> int:
        return st["upto"] + len(st["single"])

    def pump() -> None:
        ch = ch_box[0]
        while st["sent"] < n and st["sent"] - confirmed() < window:
            eid, body = msgs[st["sent"]]
            ch.basic_publish(exchange, EVENT_TYPE, body, pika.BasicProperties(
                delivery_mode=2, content_type="application/cloudevents+json", message_id=eid),
                mandatory=True)
            st["sent"] += 1

    def on_confirm(frame) -> None:
        m = frame.method
        if isinstance(m, pika.spec.Basic.Nack):
            st["nacked"] += 1
        if m.multiple:
            st["upto"] = max(st["upto"], m.delivery_tag)
            st["single"] = {t for t in st["single"] if t > st["upto"]}
        else:
            st["single"].add(m.delivery_tag)
        while st["upto"] + 1 in st["single"]:
            st["upto"] += 1
            st["single"].discard(st["upto"])
        if confirmed() >= n:
            st["t1"], st["c1"] = time.perf_counter(), time.process_time()
            conn.close()
        else:
            pump()

    def on_channel(ch) -> None:
        ch_box.append(ch)
        ch.add_on_return_callback(lambda *a: st.__setitem__("returned", st["returned"] + 1))

        def ready(_frame) -> None:
            st["t0"], st["c0"] = time.perf_counter(), time.process_time()
            pump()
        ch.confirm_delivery(on_confirm, callback=ready)

    conn = pika.SelectConnection(
        pika.URLParameters(url), on_open_callback=lambda c: c.channel(on_open_callback=on_channel),
        on_open_error_callback=lambda c, e: c.ioloop.stop(),
        on_close_callback=lambda c, e: c.ioloop.stop())
    conn.ioloop.start()
    if st["nacked"] or st["returned"] or not st["t1"]:
        raise RuntimeError(f"pika run incomplete: {st['nacked']} nacked, {st['returned']} returned")
    return {"events": n, "per_s": round(n / (st["t1"] - st["t0"]), 1),
            "cpu_us_per_event": round((st["c1"] - st["c0"]) / n * 1e6, 1)}


def pika_blocking(url: str, exchange: str, msgs: list[tuple[str, bytes]]) -> dict:
    """BlockingConnection + confirm_delivery: each publish waits for its confirm."""
    import pika
    conn = pika.BlockingConnection(pika.URLParameters(url))
    ch = conn.channel()
    ch.confirm_delivery()
    with Clock() as clk:
        for eid, body in msgs:
            ch.basic_publish(exchange, EVENT_TYPE, body, pika.BasicProperties(
                delivery_mode=2, content_type="application/cloudevents+json", message_id=eid),
                mandatory=True)
    conn.close()
    return clk.rate(len(msgs))


# --- (b) kombu -------------------------------------------------------------------------------

def kombu_confirm(url: str, exchange: str, msgs: list[tuple[str, bytes]]) -> dict:
    """kombu Producer with confirm_publish: py-amqp waits for each message's confirm."""
    from kombu import Connection, Exchange, Producer
    with Connection(url, transport_options={"confirm_publish": True}) as conn:
        producer = Producer(conn.channel(), exchange=Exchange(exchange, "topic", durable=True),
                            auto_declare=False)  # declared by Topology, with its arguments
        with Clock() as clk:
            for eid, body in msgs:
                producer.publish(body, routing_key=EVENT_TYPE, delivery_mode=2, mandatory=True,
                                 content_type="application/cloudevents+json",
                                 content_encoding="utf-8", message_id=eid)
    return clk.rate(len(msgs))


# --- (c) outbox + relay ----------------------------------------------------------------------

class Outbox:
    """The runtime pieces a service's bootstrap builds, on a fresh PostgreSQL database."""

    def __init__(self, db_url: str, amqp_url: str, topology: Topology):
        self.engine = make_engine(db_url)
        self.metadata = MetaData()
        self.tables = platform_tables(self.metadata)
        self.metadata.create_all(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.amqp_url, self.topology = amqp_url, topology

    def uow(self, on_commit=None) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.tables, SOURCE, on_commit=on_commit)

    def relay(self, wakeup: Wakeup | None = None, **kw) -> OutboxRelay:
        transport = AmqpTransport(self.amqp_url, self.topology)
        return OutboxRelay(self.engine, self.tables, transport, wakeup=wakeup,
                           name="bench-relay", **kw)

    def unsent(self) -> int:
        o = self.tables.outbox
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).where(o.c.sent_at.is_(None))).scalar()

    def resend_all(self) -> None:
        """Mark every row unsent again, so the relay can be timed once more on the same rows."""
        with self.engine.begin() as conn:
            conn.execute(update(self.tables.outbox).values(sent_at=None))
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE outbox")

    def insert(self, start: int, count: int, per_tx: int) -> dict:
        """Emit ``count`` events in transactions of ``per_tx``, as business code does."""
        seq = start
        with Clock() as clk:
            while seq < start + count:
                with self.uow() as uow:
                    for _ in range(min(per_tx, start + count - seq)):
                        uow.emit(EVENT_TYPE, probe(seq))
                        seq += 1
                    uow.commit()
        return clk.rate(count)


def relay_throughput(box: Outbox, batch_size: int) -> dict:
    """OutboxRelay.drain from its first select to an empty outbox (connection opened before)."""
    relay = box.relay(batch_size=batch_size)
    relay.transport.ping()  # connect and declare outside the timed part, as a running relay has
    with Clock() as clk:
        sent = relay.drain(max_rounds=1_000_000)
    relay.transport.close()
    if box.unsent():
        raise RuntimeError("outbox not empty after drain")
    return clk.rate(sent)


# --- (d) latency -----------------------------------------------------------------------------

def latency(box: Outbox, rate: float, seconds: float, start_seq: int, wake: bool,
            producers: int) -> dict:
    """Commit one event per transaction at ``rate``/s with the relay polling in a thread and an
    AmqpWorker consuming; handled − committed per event, in milliseconds.

    ``wake``: the committing thread wakes the relay (web and relay in one process, as in
    embedded mode); without it the relay only finds events at its next poll (separate
    web and worker processes, as in production).
    """
    committed: dict[int, float] = {}
    handled: dict[int, tuple[float, float]] = {}
    done = threading.Event()
    total = int(rate * seconds)

    def on_message(body: bytes) -> None:
        now_pc, now_wall = time.perf_counter(), time.time()
        data = json.loads(body)["data"]
        if start_seq <= data["seq"] < start_seq + total:  # not a previous phase's leftovers
            handled[data["seq"]] = (now_pc, now_wall - data["committed_at"])
            if len(handled) >= total:
                done.set()

    sub = Subscription("bench", f"latency-{'wake' if wake else 'poll'}", (EVENT_TYPE,), on_message)
    worker = AmqpWorker(box.amqp_url, box.topology, [sub], service="bench")
    wt = threading.Thread(target=worker.run, daemon=True)
    wt.start()
    if not worker.connected.wait(10):
        raise RuntimeError("consumer did not connect")
    wakeup = Wakeup()
    relay = box.relay(wakeup=wakeup)
    rt = threading.Thread(target=relay.run, daemon=True)
    rt.start()
    interval = 1.0 / rate
    t_start = time.perf_counter()

    def produce(first: int) -> None:
        # Transaction i is due at t_start + i/rate; one commit takes a few ms here, so several
        # committers (like concurrent web requests) share the schedule to sustain the rate.
        for i in range(first, total, producers):
            pause = t_start + i * interval - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            seq = start_seq + i
            with box.uow(on_commit=wakeup.set if wake else None) as uow:
                uow.emit(EVENT_TYPE, probe(seq))
                uow.commit()
            committed[seq] = time.perf_counter()

    threads = [threading.Thread(target=produce, args=(k,)) for k in range(producers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    produce_seconds = time.perf_counter() - t_start
    done.wait(30)
    relay.stop()
    worker.stop()
    rt.join(5)
    wt.join(5)
    relay.transport.close()
    lat = sorted((handled[s][0] - committed[s]) * 1000 for s in committed if s in handled)
    stamp = sorted(handled[s][1] * 1000 for s in committed if s in handled)
    return {"mode": "commit (as in one process)" if wake else "its poll only (as across processes)",
            "target_rate": rate, "achieved_rate": round(total / produce_seconds, 1),
            "events": total, "handled": len(lat), **percentiles(lat),
            "p95_from_stamp_ms": round(percentile(stamp, 95), 2) if stamp else None,
            "producers": producers, "relay_poll_seconds": relay.poll_seconds}


def percentile(sorted_values: list[float], p: float) -> float:
    k = (len(sorted_values) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    return {"p50_ms": round(percentile(values, 50), 2), "p95_ms": round(percentile(values, 95), 2),
            "p99_ms": round(percentile(values, 99), 2), "max_ms": round(values[-1], 2),
            "mean_ms": round(statistics.fmean(values), 2)}


# --- the run ---------------------------------------------------------------------------------

def run(args) -> dict:
    info = _infra.machine()
    topology = Topology()
    msgs = bodies(args.events)
    res: dict = {"machine": info, "events": args.events, "window": args.window,
                 "relay_batch_size": args.batch_size, "repeat": args.repeat,
                 "body_bytes": len(msgs[0][1]), "a": [], "c_relay": []}
    with _infra.fresh_vhost() as url, _infra.fresh_database() as db_url:
        declare_sink(url, topology)
        print(f"vhost {_vhost(url)}, database {db_url.rsplit('/', 1)[1]}, "
              f"{args.events} events of {res['body_bytes']} bytes")
        box = Outbox(db_url, url, topology)
        n1 = min(args.events, args.tx1_events)
        res["c_insert_tx1"] = box.insert(0, n1, 1)
        res["c_insert_tx100"] = box.insert(n1, args.events - n1, 100) if args.events > n1 else None
        print(f"(c)  UnitOfWork inserts: tx of 1 {res['c_insert_tx1']}, "
              f"tx of 100 {res['c_insert_tx100']}")

        few = msgs[:min(len(msgs), args.blocking_events)]
        res["a2_pika_blocking"] = pika_blocking(url, topology.exchange, few)
        sink_depth_and_purge(url)
        print(f"(a') pika blocking confirm_delivery: {res['a2_pika_blocking']}")
        res["b_kombu"] = kombu_confirm(url, topology.exchange, msgs)
        res["b_kombu"]["delivered"] = sink_depth_and_purge(url)
        print(f"(b)  kombu confirm_publish: {res['b_kombu']}")

        # (a) and (c) alternate, so a burst of load from other processes hits both alike.
        for i in range(args.repeat):
            a = pika_async(url, topology.exchange, msgs, args.window)
            a["delivered"] = sink_depth_and_purge(url)
            res["a"].append(a)
            print(f"(a)  pika async confirms, window {args.window}, run {i + 1}: {a}")
            if i:
                box.resend_all()
            c = relay_throughput(box, args.batch_size)
            c["delivered"] = sink_depth_and_purge(url)
            res["c_relay"].append(c)
            print(f"(c)  OutboxRelay drain, run {i + 1}: {c}")
        res["a_median"] = median_run(res["a"])
        res["c_relay_median"] = median_run(res["c_relay"])
        res["ratio_c_a"] = round(res["c_relay_median"]["per_s"] / res["a_median"]["per_s"], 3)

        delete_sink(url)
        seq = args.events
        res["d_latency"] = []
        for wake in (True, False):
            r = latency(box, args.rate, args.seconds, seq, wake, args.producers)
            seq += r["events"]
            res["d_latency"].append(r)
            print(f"(d)  {r['mode']}: p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, "
                  f"p99 {r['p99_ms']} ms ({r['handled']}/{r['events']} handled, "
                  f"{r['achieved_rate']}/s)")
        box.engine.dispose()
    info["loadavg_end"] = _infra.load()
    c, d = res["c_relay_median"]["per_s"], res["d_latency"]
    res["aims"] = {
        "c_at_least_half_of_a": res["ratio_c_a"] >= 0.5,
        "c_at_least_5000_per_s": c >= 5000,
        "p95_under_50ms_wakeup": d[0]["p95_ms"] is not None and d[0]["p95_ms"] < 50,
        "p95_under_50ms_poll_only": d[1]["p95_ms"] is not None and d[1]["p95_ms"] < 50,
    }
    return res


def median_run(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda r: r["per_s"])[len(runs) // 2]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=50_000)
    p.add_argument("--repeat", type=int, default=3, help="alternating runs of (a) and (c)")
    p.add_argument("--window", type=int, default=1000, help="pika unconfirmed messages in flight")
    p.add_argument("--blocking-events", type=int, default=5000,
                   help="events for the slow pika blocking variant (a')")
    p.add_argument("--tx1-events", type=int, default=2000,
                   help="how many of the events are inserted one per transaction")
    p.add_argument("--batch-size", type=int, default=500, help="relay batch size")
    p.add_argument("--rate", type=float, default=500, help="latency phase: commits per second")
    p.add_argument("--seconds", type=float, default=10, help="latency phase: seconds per mode")
    p.add_argument("--producers", type=int, default=4, help="latency phase: committing threads")
    p.add_argument("--analysis", type=Path, default=RESULTS / "outbox_relay_analysis.md",
                   help="hand-written Markdown appended to the results as their Analysis")
    p.add_argument("--render", action="store_true",
                   help="only re-render the Markdown from the last JSON (after editing the analysis)")
    args = p.parse_args(argv)
    # SIGTERM (e.g. `timeout`) unwinds like Ctrl-C, so the vhost and database are removed.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    if args.render:
        res = json.loads((RESULTS / "outbox_relay.json").read_text(encoding="utf-8"))
    else:
        res = run(args)
        res["argv"] = " ".join(sys.argv[1:])
    if args.analysis.exists():
        res["analysis"] = args.analysis.read_text(encoding="utf-8")
    RESULTS.mkdir(exist_ok=True)
    md = _report.markdown(res, res.get("argv", ""))
    (RESULTS / "outbox_relay.md").write_text(md, encoding="utf-8")
    (RESULTS / "outbox_relay.json").write_text(json.dumps(res, indent=2, ensure_ascii=False),
                                               encoding="utf-8")
    print()
    print(md)


if __name__ == "__main__":
    main()

"""RabbitMQ transport: batched publisher confirms with a deadline, and safe consumers.

Topology (declared idempotently by publishers and workers):
- ``baokao.events`` topic exchange, routing key = event type, with an alternate exchange so
  an event no queue wants is kept in ``baokao.unrouted`` instead of vanishing;
- per handler a durable queue ``baokao.<service>.<handler>`` (quorum if configured), one
  retry queue per back-off step that dead-letters back into it after its TTL, and per
  service a dead-letter queue ``baokao.<service>.dead-letters``.

Queue arguments are part of the names (retry TTL, queue type) because RabbitMQ refuses to
redeclare a queue with other arguments (PRECONDITION_FAILED).
"""
from __future__ import annotations

import logging
import threading
import time
import traceback

import amqp
from kombu import Connection

from services.common.bus.base import Outgoing, PublishError, Subscription, Transport
from services.common.errors import PermanentFailure

log = logging.getLogger(__name__)

UNROUTED = "baokao.unrouted"
ATTEMPT_HEADER = "x-baokao-attempt"
ERROR_HEADER = "x-baokao-error"
QUEUE_HEADER = "x-baokao-queue"


def dead_letter_queue(service: str) -> str:
    return f"baokao.{service}.dead-letters"


class Topology:
    def __init__(self, exchange: str = "baokao.events", quorum: bool = False,
                 retry_delays_ms: tuple[int, ...] = (1000, 5000, 30000)):
        self.exchange = exchange
        self.quorum = quorum
        self.retry_delays_ms = retry_delays_ms

    def queue_name(self, sub: Subscription) -> str:
        return sub.queue + (".quorum" if self.quorum else "")

    def retry_queue(self, queue: str, delay_ms: int) -> str:
        return f"{queue}.retry.{delay_ms}ms"

    def _queue_args(self) -> dict:
        return {"x-queue-type": "quorum"} if self.quorum else {}

    def declare_exchange(self, ch) -> None:
        ch.exchange_declare(UNROUTED, "fanout", durable=True, auto_delete=False)
        ch.queue_declare(UNROUTED, durable=True, auto_delete=False,
                         arguments={"x-max-length": 1_000_000})
        ch.queue_bind(UNROUTED, UNROUTED, "")
        ch.exchange_declare(self.exchange, "topic", durable=True, auto_delete=False,
                            arguments={"alternate-exchange": UNROUTED})

    def declare_subscription(self, ch, sub: Subscription) -> str:
        name = self.queue_name(sub)
        ch.queue_declare(name, durable=True, auto_delete=False, arguments=self._queue_args())
        for rk in sub.event_types:
            ch.queue_bind(name, self.exchange, rk)
        for delay in self.retry_delays_ms:
            ch.queue_declare(self.retry_queue(name, delay), durable=True, auto_delete=False,
                             arguments={"x-message-ttl": delay, "x-dead-letter-exchange": "",
                                        "x-dead-letter-routing-key": name,
                                        **self._queue_args()})
        ch.queue_declare(dead_letter_queue(sub.service), durable=True, auto_delete=False,
                         arguments=self._queue_args())
        return name


class ConfirmPublisher:
    """One connection, one channel in confirm mode; a batch is confirmed or it raises."""

    def __init__(self, url: str, topology: Topology, confirm_timeout: float = 5.0):
        self.url = url
        self.topology = topology
        self.confirm_timeout = confirm_timeout
        self._conn: Connection | None = None
        self._ch = None
        self._lock = threading.Lock()

    def _connect(self) -> None:
        conn = Connection(self.url, connect_timeout=min(5.0, self.confirm_timeout),
                          transport_options={"read_timeout": 5, "write_timeout": 5})
        # One attempt only: kombu's connect() retries after a 2 s sleep, which would break the
        # publish deadline; the relay retries with its own back-off instead.
        conn.ensure_connection(max_retries=0, reraise_as_library_errors=False)
        ch = conn.connection.channel()
        ch.confirm_select()
        self._acked, self._nacked, self._returned = 0, set(), []
        self._single: set[int] = set()
        self._tag = 0
        ch.events["basic_ack"].add(self._on_ack)
        ch.events["basic_nack"].add(self._on_nack)
        ch.events["basic_return"].add(self._on_return)
        self.topology.declare_exchange(ch)
        self._conn, self._ch = conn, ch

    def _on_ack(self, tag: int, multiple: bool) -> None:
        self._acked = max(self._acked, tag) if multiple else self._acked_single(tag)

    def _acked_single(self, tag: int) -> int:
        self._single.add(tag)
        while self._acked + 1 in self._single:
            self._acked += 1
            self._single.discard(self._acked)
        return self._acked

    def _on_nack(self, tag: int, multiple: bool) -> None:
        self._nacked.add(tag)
        self._on_ack(tag, multiple)

    def _on_return(self, *args) -> None:
        self._returned.append(args)

    def reset(self) -> None:
        conn, self._conn, self._ch = self._conn, None, None
        if conn is not None:
            try:
                # collect(), not release(): a polite Connection.Close waits for a CloseOk that
                # a dead or blackholed broker never sends (read_timeout later, or forever).
                conn.collect()
            except Exception:  # noqa: BLE001 - the connection is already broken
                pass

    def publish_raw(self, items: list[tuple[str, str, bytes, dict]]) -> None:
        """items: (exchange, routing key, body, properties). All confirmed, or PublishError."""
        with self._lock:
            try:
                if self._conn is None:
                    self._connect()
                first = self._tag + 1
                self._send_batch(items)
                deadline = time.monotonic() + self.confirm_timeout
                while self._acked < self._tag:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise PublishError(f"no confirm within {self.confirm_timeout}s")
                    try:
                        self._conn.drain_events(timeout=remaining)
                    except TimeoutError:
                        continue
                nacked = [t for t in self._nacked if t >= first]
                if nacked or self._returned:
                    self._returned.clear()
                    raise PublishError(f"broker refused {len(nacked)} message(s)")
            except PublishError:
                self.reset()
                raise
            except Exception as exc:  # connection-level failure: drop it, caller retries
                self.reset()
                raise PublishError(f"{type(exc).__name__}: {exc}") from exc

    def _send_batch(self, items) -> None:
        """Frame every message into one buffer and write it with one sendall.

        py-amqp writes each message with its own sendall (one syscall and, on a busy host,
        one broker wake-up per message); corking the batch cuts that to one per ~256 KiB.
        """
        transport = self._conn.connection.transport
        sendall, buf = transport._write, bytearray()
        transport._write = buf.extend  # frames arrive as views of a shared buffer: copy them
        try:
            for exchange, rk, body, props in items:
                self._ch.basic_publish(
                    amqp.Message(body, delivery_mode=2, **props), exchange=exchange,
                    routing_key=rk, mandatory=True)
                self._tag += 1
                if len(buf) >= 262144:
                    sendall(bytes(buf))
                    buf.clear()
        finally:
            transport._write = sendall
        if buf:
            sendall(bytes(buf))

    def ping(self) -> bool:
        try:
            with self._lock:
                if self._conn is None:
                    self._connect()
                self._conn.connection.send_heartbeat() if self._conn.connection else None
            return True
        except Exception:  # noqa: BLE001
            self.reset()
            return False


class AmqpTransport(Transport):
    def __init__(self, url: str, topology: Topology | None = None, confirm_timeout: float = 5.0):
        self.url = url
        self.topology = topology or Topology()
        self.publisher = ConfirmPublisher(url, self.topology, confirm_timeout)

    def publish(self, messages: list[Outgoing]) -> None:
        self.publisher.publish_raw([
            (self.topology.exchange, m.type, m.body,
             {"content_type": "application/cloudevents+json", "message_id": m.event_id,
              "correlation_id": m.correlation_id or "", "application_headers": {}})
            for m in messages])

    def redeliver(self, queue: str, body: bytes) -> None:
        self.publisher.publish_raw([("", queue, body, {
            "content_type": "application/cloudevents+json",
            "application_headers": {ATTEMPT_HEADER: 0}})])

    def ping(self) -> bool:
        return self.publisher.ping()

    def close(self) -> None:
        self.publisher.reset()


class AmqpWorker:
    """Consumes a service's handler queues; acks only after the handler's commit.

    A failure is republished (confirmed) to the next retry queue, then the original is acked;
    after the last retry the message goes to the service's dead-letter queue with its error.
    A second loop moves dead letters into the service's table so the dashboard can show them.
    """

    def __init__(self, url: str, topology: Topology, subscriptions: list[Subscription],
                 *, service: str, dead_letter_sink=None, prefetch: int = 20):
        self.url = url
        self.topology = topology
        self.subs = subscriptions
        self.service = service
        self.dead_letter_sink = dead_letter_sink
        self.prefetch = prefetch
        self.publisher = ConfirmPublisher(url, topology)
        self.stop_event = threading.Event()
        self.connected = threading.Event()

    def _declare(self, ch) -> dict[str, Subscription]:
        self.topology.declare_exchange(ch)
        return {self.topology.declare_subscription(ch, s): s for s in self.subs}

    def _on_message(self, ch, sub: Subscription, queue: str, msg) -> None:
        headers = msg.properties.get("application_headers") or {}
        attempt = int(headers.get(ATTEMPT_HEADER, 0))
        try:
            sub.callback(bytes(msg.body) if not isinstance(msg.body, bytes) else msg.body)
        except PermanentFailure as exc:
            self._park(queue, msg, f"PermanentFailure: {exc}", attempt + 1)
        except Exception as exc:  # noqa: BLE001 - retried, then parked
            delays = self.topology.retry_delays_ms
            if attempt < len(delays):
                log.warning("%s failed (attempt %d): %s", queue, attempt + 1, exc)
                self.publisher.publish_raw([("", self.topology.retry_queue(queue, delays[attempt]),
                                             msg.body, self._props(msg, attempt + 1, None))])
            else:
                error = "".join(traceback.format_exception(exc))[-4000:]
                self._park(queue, msg, error, attempt + 1)
        ch.basic_ack(msg.delivery_tag)

    @staticmethod
    def _props(msg, attempt: int, error: str | None, queue: str | None = None) -> dict:
        headers = dict(msg.properties.get("application_headers") or {})
        headers[ATTEMPT_HEADER] = attempt
        if error is not None:
            headers[ERROR_HEADER] = error
            headers[QUEUE_HEADER] = queue
        return {"content_type": msg.properties.get("content_type", "application/json"),
                "message_id": msg.properties.get("message_id", ""),
                "correlation_id": msg.properties.get("correlation_id", ""),
                "application_headers": headers}

    def _park(self, queue: str, msg, error: str, attempts: int) -> None:
        log.error("parking message from %s after %d attempt(s)", queue, attempts)
        self.publisher.publish_raw([("", dead_letter_queue(self.service), msg.body,
                                     self._props(msg, attempts, error, queue))])

    def _on_dead_letter(self, ch, msg) -> None:
        """Record a parked message, then ack it.

        A sink that is down raises and the message stays queued (the connection drops and
        comes back later); one that can never store this message raises PermanentFailure and
        the message is acked with an error logged, or it would come back forever.
        """
        headers = msg.properties.get("application_headers") or {}
        queue = str(headers.get(QUEUE_HEADER, "?"))
        try:
            self.dead_letter_sink(queue, msg.body, str(headers.get(ERROR_HEADER, "unknown")),
                                  int(headers.get(ATTEMPT_HEADER, 0)))
        except PermanentFailure as exc:
            log.error("dropping dead letter %r of %s: %s", msg.properties.get("message_id"),
                      queue, exc)
        ch.basic_ack(msg.delivery_tag)

    def run(self) -> None:
        """Consume until stopped, reconnecting with back-off after any connection loss."""
        backoff = 0.5
        while not self.stop_event.is_set():
            conn = None
            try:
                # Bounded reads: a handshake with a half-dead peer must fail, not hang forever.
                conn = Connection(self.url, connect_timeout=5, heartbeat=30,
                                  transport_options={"read_timeout": 10, "write_timeout": 10})
                conn.connect()
                raw = conn.connection
                ch = raw.channel()
                ch.basic_qos(0, self.prefetch, False)
                queues = self._declare(ch)
                for qname, sub in queues.items():
                    ch.basic_consume(qname, callback=lambda m, s=sub, q=qname, c=ch:
                                     self._on_message(c, s, q, m))
                if self.dead_letter_sink is not None:
                    ch.basic_consume(dead_letter_queue(self.service),
                                     callback=lambda m, c=ch: self._on_dead_letter(c, m))
                self.connected.set()
                backoff = 0.5
                last_beat = time.monotonic()
                while not self.stop_event.is_set():
                    try:
                        raw.drain_events(timeout=1)
                    except TimeoutError:
                        pass
                    if time.monotonic() - last_beat > 5:
                        raw.heartbeat_tick()
                        last_beat = time.monotonic()
            except Exception as exc:  # noqa: BLE001 - reconnect on anything
                self.connected.clear()
                if self.stop_event.is_set():
                    break
                log.warning("worker %s lost the broker (%s); reconnecting in %.1fs",
                            self.service, exc, backoff)
                self.stop_event.wait(backoff)
                backoff = min(backoff * 2, 10)
            finally:
                self.connected.clear()
                if conn is not None:
                    try:
                        conn.release()
                    except Exception:  # noqa: BLE001
                        pass

    def stop(self) -> None:
        self.stop_event.set()

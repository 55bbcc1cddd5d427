"""Asynchronous payment notifications, sent like Alipay sends them, from a persisted queue.

After a payment the provider POSTs a signed form to the merchant's notify_url and repeats it
on Alipay's schedule (after 4m, 10m, 10m, 1h, 2h, 6h, 15h: 8 attempts over about 25 hours)
until the answer is exactly "success". ``time_scale`` shrinks the schedule (0.0001 in tests).
Each notification is a row in the sandbox database with its next attempt time, and one
scheduler thread sends what is due, so a restarted sandbox still delivers what was pending.

Faults, from the environment (``BAOKAO_SANDBOX_NOTIFY_FAULTS``) or chosen per payment:

- ``lost``: the notification never arrives (the merchant must query or reconcile);
- ``late``: the first delivery waits a whole retry interval (4 minutes unscaled);
- ``duplicate``: after the merchant said "success", the same notification comes once more;
- ``out_of_order``: a stale ``WAIT_BUYER_PAY`` notification of the trade arrives after the
  ``TRADE_SUCCESS`` one (the merchant must not step back).
"""
from __future__ import annotations

import json
import logging
import threading
import uuid
from datetime import timedelta

from services.common import clock
from services.payment.adapters import signing

log = logging.getLogger(__name__)
SCHEDULE_SECONDS = (240, 600, 600, 3600, 7200, 21600, 54000)
FAULTS = ("lost", "late", "duplicate", "out_of_order")
FAULT_LABELS = {"lost": "模拟通知丢失", "late": "模拟通知延迟", "duplicate": "模拟重复通知",
                "out_of_order": "模拟通知乱序"}
DUPLICATE_AFTER_SECONDS = 1
LEASE_SECONDS = 30


def parse_faults(text: str | None) -> set[str]:
    return {f.strip() for f in (text or "").split(",") if f.strip() in FAULTS}


class Notifier:
    def __init__(self, store, key, http, time_scale: float = 1.0, timeout: float = 10.0):
        self.store = store
        self.key = key
        self.http = http
        self.time_scale = time_scale
        self.timeout = timeout
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._inflight = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def _later(self, seconds: float):
        return clock.now() + timedelta(seconds=seconds * self.time_scale)

    def form(self, trade, app_id: str, status: str | None = None, at=None) -> dict[str, str]:
        from services.payment.adapters.alipay import beijing_time
        params = {"notify_id": uuid.uuid4().hex, "notify_type": "trade_status_sync",
                  "notify_time": beijing_time(at or clock.now()), "charset": "utf-8",
                  "version": "1.0", "app_id": app_id, "out_trade_no": trade.out_trade_no,
                  "trade_no": trade.trade_no, "total_amount": trade.total_amount,
                  "trade_status": status or trade.status, "subject": trade.subject,
                  "gmt_create": beijing_time(trade.created_at)}
        if params["trade_status"] != "WAIT_BUYER_PAY":
            params.update(receipt_amount=trade.total_amount, buyer_pay_amount=trade.total_amount,
                          gmt_payment=beijing_time(trade.paid_at))
        return signing.sign_params(params, self.key, exclude=("sign", "sign_type"))

    def _queue(self, trade_no: str, form: dict, kind: str, next_at, state="pending") -> None:
        self.store.queue_notification(trade_no=trade_no, notify_id=form["notify_id"],
                                      form=json.dumps(form, ensure_ascii=False), kind=kind,
                                      attempt=0, next_at=next_at, state=state,
                                      created_at=clock.now())

    def send(self, trade_no: str, faults: set[str]) -> None:
        """Queue the notification of a paid trade (delivered by the scheduler thread)."""
        trade = self.store.trade_by_no(trade_no)
        form = self.form(trade, trade.app_id)
        if "lost" in faults:
            self._queue(trade_no, form, "normal", None, state="lost")
            self.store.change(trade_no, notify_state="lost")
            self._log(trade_no, form, "lost (simulated)")
            return
        first = self._later(SCHEDULE_SECONDS[0]) if "late" in faults else clock.now()
        self._queue(trade_no, form, "duplicate-after" if "duplicate" in faults else "normal",
                    first)
        if "out_of_order" in faults:
            stale = self.form(trade, trade.app_id, status="WAIT_BUYER_PAY", at=trade.created_at)
            self._queue(trade_no, stale, "stale", first + timedelta(milliseconds=1))
        self._wake.set()
        self.start()

    # -- the scheduler -------------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self._closed:
                return
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._loop, daemon=True,
                                                name="sandbox-notifier")
                self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                sent = self.run_due()
            except Exception:  # noqa: BLE001 - the scheduler never dies
                log.exception("sandbox notifier pass failed")
                sent = 0
            if sent:
                continue
            nxt = self.store.next_due_at()
            wait = 1.0 if nxt is None else (nxt - clock.now()).total_seconds()
            self._wake.wait(min(max(wait, 0.002), 1.0))
            self._wake.clear()

    def run_due(self) -> int:
        """Send every notification that is due now; the number sent."""
        rows = self.store.due_notifications(clock.now())
        done = 0
        for row in rows:
            if self._stop.is_set():
                break
            lease = clock.now() + timedelta(seconds=LEASE_SECONDS)
            if not self.store.claim_notification(row, lease):
                continue
            with self._lock:
                self._inflight += 1
            try:
                self._attempt(row)
            finally:
                with self._lock:
                    self._inflight -= 1
            done += 1
        return done

    def _attempt(self, row) -> None:
        form = json.loads(row.form)
        trade = self.store.trade_by_no(row.trade_no)
        note = {"duplicate": "duplicate (simulated)", "stale": "out of order (simulated)"}.get(
            row.kind, "")
        ok = self._post(trade, form, note)
        attempt = row.attempt + 1
        if ok:
            self.store.change_notification(row.id, state="delivered", attempt=attempt,
                                           next_at=None)
            if row.kind != "stale":
                self.store.change(row.trade_no, notify_state="delivered")
            if ok and row.kind == "duplicate-after":
                self._queue(row.trade_no, form, "duplicate",
                            self._later(DUPLICATE_AFTER_SECONDS))
            return
        if row.kind == "duplicate":  # a simulated extra copy is sent once, not retried
            self.store.change_notification(row.id, state="delivered", attempt=attempt,
                                           next_at=None)
            return
        if attempt > len(SCHEDULE_SECONDS):
            self.store.change_notification(row.id, state="gave_up", attempt=attempt, next_at=None)
            self.store.change(row.trade_no, notify_state="gave_up")
            return
        self.store.change_notification(row.id, attempt=attempt,
                                       next_at=self._later(SCHEDULE_SECONDS[attempt - 1]))

    def _post(self, trade, form: dict, note: str = "") -> bool:
        try:
            resp = self.http.post(trade.notify_url, data=form, timeout=self.timeout)
            ok = resp.status_code == 200 and resp.text == "success"
            self._log(trade.trade_no, form, note or ("success" if ok else "not success"),
                      resp.status_code, resp.text[:200])
            return ok
        except Exception as exc:  # noqa: BLE001 - unreachable merchant: retry on schedule
            self._log(trade.trade_no, form, note or "unreachable", None, str(exc)[:200])
            return False

    def _log(self, trade_no, form, outcome, status=None, answer=None) -> None:
        self.store.log_attempt(trade_no=trade_no, notify_id=form["notify_id"], at=clock.now(),
                               outcome=outcome, http_status=status, answer=answer)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once nothing is pending or being sent (tests)."""
        import time
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                busy = self._inflight
            if not busy and self.store.pending_count() == 0:
                return True
            self._wake.set()
            time.sleep(0.005)
        return False

    def stop(self) -> None:
        """For good: this process's sandbox sends nothing more (a restart builds a new one)."""
        with self._lock:
            self._closed = True
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5)

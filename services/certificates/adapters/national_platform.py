"""A simulated national platform (人社部专业技术人员职称信息平台) behind ``domain.national``'s port.

It behaves like the remote system: it keeps what was reported per certificate number in its own
table (reached through its own connections, never the caller's transaction), answers queries,
takes time, times out, has outages (a switch staff flip on the certificates desk) and sometimes
loses its acknowledgement after storing a report, so the retry is acknowledged as a duplicate.
A real adapter replaces it without touching the rules. Everything random comes from one seeded
generator; the defaults of the failure switches are off, and tests set latency 0.

Settings (``Settings.extra`` wins over the environment):
``BAOKAO_NATIONAL_LATENCY_MS`` (80), ``BAOKAO_NATIONAL_TIMEOUT_MS`` (3000),
``BAOKAO_NATIONAL_FAILURE_RATE`` (0), ``BAOKAO_NATIONAL_DUPLICATE_ACK_RATE`` (0),
``BAOKAO_NATIONAL_SEED`` (unset: random).
"""
from __future__ import annotations

import os
import random
import threading
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from services.certificates.adapters.orm import (
    national_platform_records,
    national_platform_switches,
)
from services.certificates.domain.national import (
    FIELDS,
    Acknowledgement,
    NationalPlatformUnavailable,
)
from services.common import clock

SWITCH = "national"


@dataclass(frozen=True)
class NationalConfig:
    latency_ms: int = 80
    timeout_ms: int = 3000
    failure_rate: float = 0.0
    duplicate_ack_rate: float = 0.0  # stored, but the acknowledgement never arrives
    seed: int | None = None

    @classmethod
    def from_settings(cls, settings) -> NationalConfig:
        def get(key: str, default: str) -> str:
            value = settings.extra.get(f"national_{key}") if settings is not None else None
            env = os.environ.get(f"BAOKAO_NATIONAL_{key.upper()}")
            return str(value) if value is not None else (env or default)
        seed = get("seed", "")
        return cls(latency_ms=int(get("latency_ms", "80")),
                   timeout_ms=int(get("timeout_ms", "3000")),
                   failure_rate=float(get("failure_rate", "0")),
                   duplicate_ack_rate=float(get("duplicate_ack_rate", "0")),
                   seed=int(seed) if seed else None)


class NationalSwitch:
    """The simulated platform's outage switch (one row)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def is_out(self) -> bool:
        t = national_platform_switches
        with self.engine.connect() as conn:
            return bool(conn.execute(select(t.c.outage).where(t.c.name == SWITCH)).scalar())

    def state(self) -> dict:
        t = national_platform_switches
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.name == SWITCH)).first()
        return {"outage": bool(row and row.outage), "changed_by": row.changed_by if row else None,
                "changed_at": row.changed_at if row else None}

    def set(self, outage: bool, actor: str) -> None:
        t = national_platform_switches
        values = dict(outage=outage, changed_by=actor, changed_at=clock.now())
        with self.engine.begin() as conn:
            if conn.execute(update(t).where(t.c.name == SWITCH).values(**values)).rowcount:
                return
            try:
                with conn.begin_nested():
                    conn.execute(insert(t).values(name=SWITCH, **values))
            except IntegrityError:  # created concurrently: update it instead
                conn.execute(update(t).where(t.c.name == SWITCH).values(**values))


class SimulatedNationalPlatform:
    name = "national"
    title = "人社部专业技术人员职称信息平台（模拟）"

    def __init__(self, engine: Engine, config: NationalConfig, switch: NationalSwitch,
                 sleep=time.sleep):
        self.engine = engine
        self.config = config
        self.switch = switch
        self._sleep = sleep
        self._rng = random.Random(config.seed)
        self._lock = threading.Lock()

    def _draw(self) -> tuple[float, float, float]:
        with self._lock:
            return self._rng.uniform(0.5, 1.5), self._rng.random(), self._rng.random()

    def _arrive(self) -> float:
        """Wait like a remote call, maybe time out or be down; the roll for a lost answer."""
        jitter, roll, lost = self._draw()
        latency = self.config.latency_ms * jitter
        if latency > self.config.timeout_ms:
            self._sleep(self.config.timeout_ms / 1000)
            raise NationalPlatformUnavailable(f"人社部平台 {self.config.timeout_ms} ms 内无应答")
        if latency > 0:
            self._sleep(latency / 1000)
        if self.switch.is_out():
            raise NationalPlatformUnavailable("人社部平台暂停服务（系统维护）")
        if roll < self.config.failure_rate:
            raise NationalPlatformUnavailable("人社部平台应答超时")
        return lost

    def report(self, record: dict) -> Acknowledgement:
        lost = self._arrive()
        t = national_platform_records
        number, version = record["number"], int(record["version"])
        data = {k: record.get(k) for k in FIELDS}
        with self.engine.begin() as conn:
            row = conn.execute(select(t).where(t.c.number == number)).first()
            # Idempotent by number + version: the same version with the same data (a retry whose
            # answer was lost) or an older one is acknowledged as a duplicate; the same version
            # with other data (a re-report after its copy went wrong) replaces it.
            if row is not None and (row.version > version
                                    or (row.version == version and row.record == data)):
                conn.execute(update(t).where(t.c.number == number).values(reports=t.c.reports + 1))
                return Acknowledgement(row.receipt, duplicate=True)
            receipt = f"RSB{clock.now():%Y%m%d}{uuid.uuid4().hex[:12].upper()}"
            values = dict(version=version, record=data, receipt=receipt, received_at=clock.now())
            if row is None:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(t).values(number=number, reports=1, **values))
                except IntegrityError:  # a concurrent report of the same number got in first
                    return Acknowledgement(receipt, duplicate=True)
            else:
                conn.execute(update(t).where(t.c.number == number)
                             .values(reports=t.c.reports + 1, **values))
        if lost < self.config.duplicate_ack_rate:
            raise NationalPlatformUnavailable("人社部平台已接收但应答丢失")
        return Acknowledgement(receipt)

    def query(self, number: str) -> dict | None:
        self._arrive()
        t = national_platform_records
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.number == number)).first()
        if row is None:
            return None
        return {**row.record, "number": row.number, "version": row.version,
                "receipt": row.receipt, "received_at": row.received_at}

    def overwrite(self, number: str, **fields) -> None:
        """Demo and tests: the platform's copy changed at its end (a data-entry error there),
        which is how a holder finds a mismatch their certificate does not have."""
        t = national_platform_records
        with self.engine.begin() as conn:
            row = conn.execute(select(t).where(t.c.number == number)).first()
            if row is None:
                raise KeyError(number)
            unknown = set(fields) - set(FIELDS)
            if unknown:
                raise ValueError(f"unknown fields {sorted(unknown)}")
            conn.execute(update(t).where(t.c.number == number)
                         .values(record={**row.record, **fields}))

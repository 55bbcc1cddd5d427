"""Simulated authority registries: seeded records, latency, injected failures and an outage switch.

They stand in for CHSI (and later the degree registry and the public-security identity check)
in development and demos, behind the ``domain.registries`` ports, so a real adapter replaces
one without touching the rules. Everything random comes from one seeded generator, and tests
set latency 0 and failure rate 0 or 1, so behaviour is deterministic.

Settings (``Settings.extra`` wins over the environment):
``BAOKAO_REGISTRY_LATENCY_MS`` (30), ``BAOKAO_REGISTRY_FAILURE_RATE`` (0),
``BAOKAO_REGISTRY_TIMEOUT_MS`` (3000), ``BAOKAO_REGISTRY_SEED`` (unset: random).
"""
from __future__ import annotations

import csv
import logging
import os
import random
import threading
import time
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from services.common import clock
from services.verification.adapters.orm import (
    registry_calls,
    registry_degree_records,
    registry_education_records,
    registry_identity_records,
    registry_switches,
)
from services.verification.domain.registries import (
    DegreeRecord,
    EducationRecord,
    RegistryUnavailable,
)

log = logging.getLogger(__name__)
DEMO_DATA = Path(__file__).parent / "data" / "chsi_demo.csv"
REGISTRY_TITLES = {"chsi": "学信网（学历）", "degree": "学位网（学位）",
                   "public_security": "公安部门（身份）"}


class RecordExists(Exception):
    """The simulated registry already holds a record with this certificate number."""


@dataclass(frozen=True)
class SimulationConfig:
    latency_ms: int = 30
    failure_rate: float = 0.0
    timeout_ms: int = 3000
    seed: int | None = None

    @classmethod
    def from_settings(cls, settings) -> SimulationConfig:
        def get(key: str, env: str, default: str) -> str:
            value = settings.extra.get(key) if settings is not None else None
            return str(value) if value is not None else (os.environ.get(env) or default)
        seed = get("registry_seed", "BAOKAO_REGISTRY_SEED", "")
        return cls(latency_ms=int(get("registry_latency_ms", "BAOKAO_REGISTRY_LATENCY_MS", "30")),
                   failure_rate=float(get("registry_failure_rate",
                                          "BAOKAO_REGISTRY_FAILURE_RATE", "0")),
                   timeout_ms=int(get("registry_timeout_ms", "BAOKAO_REGISTRY_TIMEOUT_MS",
                                      "3000")),
                   seed=int(seed) if seed else None)


class RegistrySwitches:
    """The outage switches staff flip on the dashboard, one row per simulated registry."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def is_out(self, registry: str) -> bool:
        t = registry_switches
        with self.engine.connect() as conn:
            return bool(conn.execute(select(t.c.outage).where(t.c.registry == registry))
                        .scalar())

    def state(self, registry: str) -> dict:
        t = registry_switches
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.registry == registry)).first()
        return {"registry": registry, "title": REGISTRY_TITLES.get(registry, registry),
                "outage": bool(row and row.outage), "changed_by": row.changed_by if row else None,
                "changed_at": row.changed_at if row else None}

    def set(self, registry: str, outage: bool, actor: str) -> None:
        t = registry_switches
        values = dict(outage=outage, changed_by=actor, changed_at=clock.now())
        with self.engine.begin() as conn:
            updated = conn.execute(t.update().where(t.c.registry == registry).values(**values))
            if updated.rowcount == 0:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(t).values(registry=registry, **values))
                except IntegrityError:  # created concurrently: update it instead
                    conn.execute(t.update().where(t.c.registry == registry).values(**values))


class SimulatedRegistry:
    """What every simulated registry does before it answers: wait, maybe time out, maybe be down."""
    name = "simulated"

    def __init__(self, engine: Engine, config: SimulationConfig, switches: RegistrySwitches,
                 sleep=time.sleep):
        self.engine = engine
        self.config = config
        self.switches = switches
        self._sleep = sleep
        self._rng = random.Random(config.seed)
        self._lock = threading.Lock()

    def _draw(self) -> tuple[float, float]:
        with self._lock:
            return self._rng.uniform(0.5, 1.5), self._rng.random()

    def _answer_or_raise(self) -> None:
        jitter, roll = self._draw()
        latency = self.config.latency_ms * jitter
        if latency > self.config.timeout_ms:
            self._sleep(self.config.timeout_ms / 1000)
            raise RegistryUnavailable(f"{self.name}: no answer within {self.config.timeout_ms} ms")
        if latency > 0:
            self._sleep(latency / 1000)
        if self.switches.is_out(self.name):
            raise RegistryUnavailable(f"{self.name}: service outage (switched on by staff)")
        if roll < self.config.failure_rate:
            raise RegistryUnavailable(f"{self.name}: injected failure (timeout)")


class MeteredRegistry:
    """Wraps any registry adapter: each lookup's latency and outcome are kept for the dashboard.

    Calls are buffered in memory and written by ``flush()`` (the worker's periodic job), never
    inside a lookup: a lookup may run while the caller's transaction holds SQLite's write lock,
    and figures for a dashboard must never slow or fail a check. Rows older than a day are
    pruned at each flush.
    """
    KEEP = timedelta(days=1)
    MAX_BUFFER = 10000

    def __init__(self, inner, engine: Engine):
        self.inner = inner
        self.engine = engine
        self.name = inner.name
        self._buffer: list[dict] = []
        self._buffer_lock = threading.Lock()

    def __getattr__(self, attr):  # records(), add(), seed_if_empty() of the simulation
        return getattr(self.inner, attr)

    def lookup(self, key: str):
        return self._metered(self.inner.lookup, key)

    def verify(self, document_number: str, name: str):
        return self._metered(self.inner.verify, document_number, name)

    def _metered(self, fn, *args):
        started = time.monotonic()
        try:
            result = fn(*args)
        except RegistryUnavailable as exc:
            self._keep(started, False, str(exc))
            raise
        self._keep(started, True, None)
        return result

    def _keep(self, started: float, ok: bool, error: str | None) -> None:
        row = {"registry": self.name, "at": clock.now(), "ok": ok,
               "latency_ms": int((time.monotonic() - started) * 1000),
               "error": (error or "")[:300] or None}
        with self._buffer_lock:
            if len(self._buffer) < self.MAX_BUFFER:
                self._buffer.append(row)

    def flush(self) -> int:
        with self._buffer_lock:
            rows, self._buffer = self._buffer, []
        try:
            with self.engine.begin() as conn:
                if rows:
                    conn.execute(insert(registry_calls), rows)
                conn.execute(delete(registry_calls).where(
                    registry_calls.c.at < clock.now() - self.KEEP))
        except Exception:  # noqa: BLE001 — dashboard figures; try again next run
            log.exception("could not record %d %s registry calls", len(rows), self.name)
            with self._buffer_lock:
                self._buffer = (rows + self._buffer)[: self.MAX_BUFFER]
            return 0
        return len(rows)


class SimulatedChsi(SimulatedRegistry):
    """学信网 as the checks see it: look a diploma up by its certificate number."""
    name = "chsi"

    def lookup(self, certificate_number: str) -> EducationRecord | None:
        self._answer_or_raise()
        t = registry_education_records
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.certificate_number == certificate_number)
                               ).first()
        return _record(row) if row else None

    # -- what staff do to the simulation ------------------------------------------------
    def add(self, record: EducationRecord, *, added_by: str, source: str = "staff") -> dict:
        row = {**asdict(record), "source": source, "added_by": added_by,
               "created_at": clock.now()}
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(registry_education_records).values(**row))
        except IntegrityError as exc:
            raise RecordExists(record.certificate_number) from exc
        return row

    def records(self, q: str | None = None, limit: int = 500) -> list[dict]:
        t = registry_education_records
        query = select(t).order_by(t.c.created_at.desc(), t.c.certificate_number).limit(limit)
        if q:
            query = query.where(or_(t.c.certificate_number == q.strip(),
                                    t.c.name.contains(q.strip())))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(registry_education_records)
                                ).scalar()

    def seed_if_empty(self, path: Path = DEMO_DATA) -> int:
        """Load the demo records once; a second call (or a sibling process) adds nothing."""
        if self.count():
            return 0
        rows = load_csv(path)
        now = clock.now()
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(registry_education_records), [
                    {**asdict(r), "source": "seed", "added_by": None, "created_at": now}
                    for r in rows])
        except IntegrityError:
            return 0  # a sibling process seeded first
        return len(rows)


def load_csv(path: Path) -> list[EducationRecord]:
    with path.open(encoding="utf-8", newline="") as f:
        return [EducationRecord(
            certificate_number=r["certificate_number"].strip(), name=r["name"].strip(),
            level=r["level"].strip(), school=r["school"].strip(), major=r["major"].strip(),
            graduation_date=date.fromisoformat(r["graduation_date"].strip()),
            study_mode=r["study_mode"].strip()) for r in csv.DictReader(f)]


def _record(row) -> EducationRecord:
    return EducationRecord(certificate_number=row.certificate_number, name=row.name,
                           level=row.level, school=row.school, major=row.major,
                           graduation_date=row.graduation_date, study_mode=row.study_mode)


class _SeededTable(SimulatedRegistry):
    """A simulated registry backed by one table, seeded from a CSV once, added to by staff."""
    table = None
    key = ""
    demo: Path | None = None

    def _row(self, key: str):
        t = self.table
        with self.engine.connect() as conn:
            return conn.execute(select(t).where(t.c[self.key] == key)).first()

    def add_row(self, values: dict, *, added_by: str | None, source: str = "staff") -> dict:
        row = {**values, "source": source, "added_by": added_by, "created_at": clock.now()}
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(self.table).values(**row))
        except IntegrityError as exc:
            raise RecordExists(values[self.key]) from exc
        return row

    def records(self, q: str | None = None, limit: int = 500) -> list[dict]:
        t = self.table
        query = select(t).order_by(t.c.created_at.desc(), t.c[self.key]).limit(limit)
        if q:
            query = query.where(or_(t.c[self.key] == q.strip(), t.c.name.contains(q.strip())))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def seed_if_empty(self) -> int:
        with self.engine.connect() as conn:
            if conn.execute(select(func.count()).select_from(self.table)).scalar():
                return 0
        with self.demo.open(encoding="utf-8", newline="") as f:
            rows = [self._parse(r) for r in csv.DictReader(f)]
        now = clock.now()
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(self.table), [
                    {**r, "source": "seed", "added_by": None, "created_at": now} for r in rows])
        except IntegrityError:
            return 0
        return len(rows)

    def _parse(self, r: dict) -> dict:
        return {k: v.strip() for k, v in r.items()}


class SimulatedDegreeRegistry(_SeededTable):
    """学位网 (China Academic Degrees and Graduate Education Information): by certificate number."""
    name = "degree"
    table = registry_degree_records
    key = "certificate_number"
    demo = Path(__file__).parent / "data" / "degree_demo.csv"

    def lookup(self, certificate_number: str) -> DegreeRecord | None:
        self._answer_or_raise()
        row = self._row(certificate_number)
        if row is None:
            return None
        return DegreeRecord(certificate_number=row.certificate_number, name=row.name,
                            level=row.level, degree_type=row.degree_type, school=row.school,
                            major=row.major, awarded_date=row.awarded_date)

    def _parse(self, r: dict) -> dict:
        d = super()._parse(r)
        return {**d, "awarded_date": date.fromisoformat(d["awarded_date"])}


class SimulatedPublicSecurity(_SeededTable):
    """The public-security identity check: name + resident ID number → match or not.

    A number not in the table is ``not_found`` (the real service knows everyone; the
    simulation knows its seeded and staff-added people).
    """
    name = "public_security"
    table = registry_identity_records
    key = "document_number"
    demo = Path(__file__).parent / "data" / "identity_demo.csv"

    def verify(self, document_number: str, name: str) -> str:
        from services.verification.domain.rules import normalise_name
        self._answer_or_raise()
        row = self._row(document_number)
        if row is None:
            return "not_found"
        if row.status != "valid":
            return "cancelled"
        return "match" if normalise_name(row.name) == normalise_name(name) else "name_mismatch"

"""Where the major-equivalence table lives: the shipped file, then versions in the database.

Version 1 is ``data/major_table_v1.json`` (transcribed from seed 002), loaded on an empty
database. Each admin edit stores a whole new version; the newest is current, older ones stay
for the record (which version answered a question is in every answer).
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from services.common import clock
from services.verification.adapters.orm import major_table_versions as t
from services.verification.domain.majors import MajorTable

DATA_FILE = Path(__file__).parent / "data" / "major_table_v1.json"


class VersionTaken(Exception):
    """Another admin saved a version at the same time."""


class MajorTableStore:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._cached: MajorTable | None = None
        self._lock = threading.Lock()

    def latest_version(self) -> int | None:
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(t.c.version))).scalar()

    def current(self) -> MajorTable:
        """The newest version (re-read only when another process saved a newer one)."""
        latest = self.latest_version()
        with self._lock:
            if self._cached is None or self._cached.version != latest:
                with self.engine.connect() as conn:
                    row = conn.execute(select(t.c.version, t.c.data)
                                       .where(t.c.version == latest)).first()
                self._cached = MajorTable(row.version, row.data) if row else MajorTable(0, {})
            return self._cached

    def save(self, data: dict, *, actor: str, note: str | None, expected: int | None) -> int:
        """Store ``data`` as the next version; ``expected`` guards against a lost update."""
        latest = self.latest_version()
        if expected is not None and expected != latest:
            raise VersionTaken(latest)
        version = (latest or 0) + 1
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(t).values(version=version, data=data, note=note,
                                              created_by=actor, created_at=clock.now()))
        except IntegrityError as exc:
            raise VersionTaken(version) from exc
        return version

    def versions(self) -> list[dict]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(
                select(t.c.version, t.c.note, t.c.created_by, t.c.created_at)
                .order_by(t.c.version.desc()))]

    def seed_if_empty(self, path: Path = DATA_FILE) -> int:
        if self.latest_version() is not None:
            return 0
        data = json.loads(path.read_text(encoding="utf-8"))
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(t).values(version=1, data=data, created_at=clock.now(),
                                              note="随系统发布（依据 seed 002 专业对照表）",
                                              created_by=None))
        except IntegrityError:
            return 0
        return 1

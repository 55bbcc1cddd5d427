"""The catalog's version, so each process can keep the catalog in memory between requests.

Every application reads the same few catalog rows (sitting, levels, subjects, fees, windows,
places), and they change only when an exam admin edits them. Instead of re-reading them per
request, a process keeps one ``snapshot`` per catalog version and asks the database only for
the version (one primary-key read per request):

- any INSERT / UPDATE / DELETE on a catalog table through this engine (a session, the exam
  admin's use cases, a test's ``engine.begin()``) marks the transaction, and just before it
  commits the counter row ``catalog`` in ``sequences`` is bumped in the same transaction: the
  new version becomes visible exactly when the new catalog does, in every process. The bump is
  the transaction's last lock, so it adds no deadlock; a rolled-back change bumps nothing.
- a session that wrote the catalog itself reads it fresh from then on (its own uncommitted
  rows, then the new committed ones), never from a snapshot.

Writes must go through SQLAlchemy statements (raw SQL text is not seen); the catalog tables
are listed in ``CATALOG_TABLES``.
"""
from __future__ import annotations

import threading
import weakref
from collections.abc import Callable

from sqlalchemy import event, select
from sqlalchemy.sql.dml import UpdateBase

from services.registration.adapters import orm

CATALOG_TABLES = frozenset(t.name for t in (
    orm.exams, orm.sittings, orm.levels, orm.specialties, orm.subjects, orm.provinces,
    orm.cities, orm.review_points, orm.sitting_provinces, orm.windows))
VERSION_ROW = "catalog"
_DIRTY = "baokao_catalog_dirty"  # on the connection: this transaction wrote the catalog
_WRITTEN = "baokao_catalog_written"  # on the session: read the catalog fresh from now on
_MEMO = "baokao_catalog_snapshot"  # on the session: the snapshot this request started with
_BUMP = (f"INSERT INTO sequences (name, value) VALUES ('{VERSION_ROW}', 1) "
         "ON CONFLICT (name) DO UPDATE SET value = sequences.value + 1")


def _writes_catalog(statement) -> bool:
    table = getattr(statement, "table", None) if isinstance(statement, UpdateBase) else None
    return getattr(table, "name", None) in CATALOG_TABLES


class CatalogCache:
    """The newest snapshot this process has built, with the version it was built for."""

    def __init__(self, make_snapshot: Callable[[int], object]):
        self.make_snapshot = make_snapshot
        self._version = -1
        self._snapshot = None
        self._lock = threading.Lock()

    def for_version(self, version: int):
        with self._lock:
            if version == self._version:
                return self._snapshot
            snapshot = self.make_snapshot(version)
            if version > self._version:  # an older version (a slow request) is not kept
                self._version, self._snapshot = version, snapshot
            return snapshot


_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def install(engine, session_factory, make_snapshot: Callable[[int], object]) -> CatalogCache:
    """Watch ``engine`` for catalog writes and keep snapshots for sessions on it."""
    if engine in _caches:
        return _caches[engine]

    @event.listens_for(engine, "before_execute")
    def _mark(conn, clauseelement, multiparams, params, execution_options):
        if _writes_catalog(clauseelement):
            conn.info[_DIRTY] = True

    @event.listens_for(engine, "commit")
    def _bump(conn):
        if conn.info.pop(_DIRTY, False):
            cursor = conn.connection.cursor()  # before the DBAPI commit, in its transaction
            try:
                cursor.execute(_BUMP)
            finally:
                cursor.close()

    @event.listens_for(engine, "rollback")
    def _forget(conn):
        conn.info.pop(_DIRTY, None)

    @event.listens_for(session_factory, "do_orm_execute")
    def _written(state):
        if _writes_catalog(state.statement):
            state.session.info[_WRITTEN] = True
            state.session.info.pop(_MEMO, None)

    cache = _caches[engine] = CatalogCache(make_snapshot)
    return cache


def version(session) -> int:
    return session.execute(select(orm.sequences.c.value).where(
        orm.sequences.c.name == VERSION_ROW)).scalar() or 0


def snapshot(session, make_snapshot: Callable[[int], object]):
    """The catalog as this session sees it: the process's snapshot of the current version,
    remembered for the rest of the session; fresh reads where the session wrote the catalog
    or the engine is not watched (``install`` not called)."""
    info = session.info
    memo = info.get(_MEMO)
    if memo is not None:
        return memo
    cache = _caches.get(session.get_bind())
    if cache is None or info.get(_WRITTEN):
        return make_snapshot(-1)
    memo = info[_MEMO] = cache.for_version(version(session))
    return memo

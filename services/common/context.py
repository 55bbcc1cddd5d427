"""Correlation and causation ids that follow a request through every event it causes."""
from __future__ import annotations

import contextvars
import uuid
from contextlib import contextmanager

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None)
causation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "causation_id", default=None)


def current_correlation_id() -> str:
    value = correlation_id.get()
    if value is None:
        value = str(uuid.uuid4())
        correlation_id.set(value)
    return value


@contextmanager
def caused_by(correlation: str | None, causation: str | None):
    """Run a block as the consequence of one message: its events inherit these ids."""
    t1 = correlation_id.set(correlation or str(uuid.uuid4()))
    t2 = causation_id.set(causation)
    try:
        yield
    finally:
        correlation_id.reset(t1)
        causation_id.reset(t2)

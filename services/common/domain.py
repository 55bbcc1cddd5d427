"""Base for aggregates that record the events they cause (pure Python)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Recorded:
    type: str
    subject: str | None
    data: dict


class Aggregate:
    """Aggregates append facts here; the unit of work moves them into the outbox on commit."""

    @property
    def events(self) -> list[Recorded]:
        # ORM-loaded objects skip __init__, so the list is created on first use.
        if "_events" not in self.__dict__:
            self.__dict__["_events"] = []
        return self.__dict__["_events"]

    def record(self, type: str, subject: str | None = None, **data) -> None:
        self.events.append(Recorded(type, subject, data))

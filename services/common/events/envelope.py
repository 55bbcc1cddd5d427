"""CloudEvents 1.0 structured-mode envelope with correlation and causation extensions."""
from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field

from services.common import clock

SPECVERSION = "1.0"
_REQUIRED = ("id", "source", "type", "specversion")


@dataclass(frozen=True)
class CloudEvent:
    id: str
    source: str
    type: str
    data: dict
    subject: str | None = None
    time: str = field(default_factory=lambda: clock.now().isoformat())
    specversion: str = SPECVERSION
    datacontenttype: str = "application/json"
    dataschema: str | None = None
    correlationid: str | None = None
    causationid: str | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, raw: dict) -> CloudEvent:
        """Tolerant reader: unknown attributes are ignored, required ones must be there."""
        if not isinstance(raw, dict):
            raise ValueError("event envelope is not an object")
        missing = [k for k in _REQUIRED if not raw.get(k)]
        if missing:
            raise ValueError(f"event envelope lacks {', '.join(missing)}")
        if raw["specversion"] != SPECVERSION:
            raise ValueError(f"unsupported specversion {raw['specversion']!r}")
        data = raw.get("data")
        if not isinstance(data, dict):
            raise ValueError("event data is not an object")
        known = {f: raw[f] for f in cls.__dataclass_fields__ if f in raw}
        return cls(**known)

    @classmethod
    def from_json(cls, body: bytes | str) -> CloudEvent:
        return cls.from_dict(json.loads(body))

    @property
    def version(self) -> int:
        """The data version, read from ``dataschema`` (``...#/…/<type>.v<N>``); 1 if absent."""
        if self.dataschema and ".v" in self.dataschema:
            tail = self.dataschema.rsplit(".v", 1)[1]
            if tail.isdigit():
                return int(tail)
        return 1


def schema_uri(event_type: str, version: int) -> str:
    return f"/api/asyncapi.json#/components/schemas/{event_type}.v{version}"


def new_event(*, source: str, type: str, data: dict, subject: str | None, version: int,
              correlationid: str, causationid: str | None) -> CloudEvent:
    return CloudEvent(id=str(uuid.uuid4()), source=source, type=type, data=data,
                      subject=subject, time=clock.now().isoformat(),
                      dataschema=schema_uri(type, version),
                      correlationid=correlationid, causationid=causationid)

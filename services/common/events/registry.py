"""The registry of event contracts: one marshmallow schema per (type, version).

Producers validate strictly (unknown fields are a bug in the producer); consumers load with
``unknown=EXCLUDE`` so a newer producer adding a field never breaks an older consumer.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields


class EventValidationError(ValueError):
    def __init__(self, event_type: str, messages):
        super().__init__(f"{event_type}: {messages}")
        self.event_type = event_type
        self.messages = messages


@dataclass(frozen=True)
class EventContract:
    type: str
    version: int
    producer: str
    summary: str
    schema: type[Schema]
    pii: str = "none"  # which personal data the event carries, and why

    @property
    def key(self) -> str:
        return f"{self.type}.v{self.version}"


REGISTRY: dict[tuple[str, int], EventContract] = {}


def contract(type: str, *, producer: str, summary: str, version: int = 1, pii: str = "none"):
    """Class decorator: register a marshmallow schema as the contract of an event type."""
    def register(schema: type[Schema]) -> type[Schema]:
        key = (type, version)
        if key in REGISTRY and REGISTRY[key].schema is not schema:
            raise RuntimeError(f"event contract {type} v{version} registered twice")
        if not type.startswith(producer + "."):
            raise RuntimeError(f"event type {type} must start with its producer {producer}")
        REGISTRY[key] = EventContract(type, version, producer, summary, schema, pii)
        return schema
    return register


def jsonable(value):
    """Python values (dates, decimals, tuples) as the JSON they will travel as."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def load_catalog() -> dict[tuple[str, int], EventContract]:
    """Import every contract module once (they register themselves)."""
    import services.common.contracts  # noqa: F401
    return REGISTRY


def latest(type: str) -> EventContract:
    load_catalog()
    versions = [c for (t, _), c in REGISTRY.items() if t == type]
    if not versions:
        raise EventValidationError(type, "unknown event type")
    return max(versions, key=lambda c: c.version)


def validate_data(type: str, data: dict, *, version: int | None = None,
                  strict: bool = True) -> dict:
    """Validate event data against its contract; return the serialisable data."""
    c = latest(type) if version is None else load_catalog().get((type, version))
    if c is None:
        raise EventValidationError(type, f"unknown version {version}")
    schema = _schema(c, strict)
    try:
        loaded = schema.load(jsonable(data))
    except ValidationError as exc:
        raise EventValidationError(type, exc.messages) from exc
    return schema.dump(loaded) if strict else loaded


_SCHEMAS: dict[tuple[str, int, bool], Schema] = {}


def _schema(c: EventContract, strict: bool) -> Schema:
    """One schema instance per contract: building one deep-copies every field (~0.3 ms)."""
    key = (c.type, c.version, strict)
    schema = _SCHEMAS.get(key)
    if schema is None or type(schema) is not c.schema:
        schema = c.schema(unknown=RAISE if strict else EXCLUDE)
        if not strict:
            _tolerate_nested(schema)
        _SCHEMAS[key] = schema
    return schema


def _tolerate_nested(schema: Schema) -> None:
    """A consumer ignores unknown fields at every depth, not only at the top: marshmallow's
    ``unknown`` does not reach nested schemas, so one field a newer producer adds inside
    ``education`` or ``scores[]`` would otherwise park every such event."""
    for field in schema.fields.values():
        while isinstance(field, fields.List):
            field = field.inner
        if isinstance(field, fields.Nested):
            field.unknown = EXCLUDE
            _tolerate_nested(field.schema)

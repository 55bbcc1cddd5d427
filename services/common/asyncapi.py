"""The AsyncAPI 3.0 document of every published event, generated from the contracts.

Schemas are JSON Schema (via apispec's marshmallow converter, OpenAPI 3.1 flavour so nullable
fields are ``type: [..., "null"]``) and can validate event data directly.
"""
from __future__ import annotations

import json

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields

from services.common.events.registry import load_catalog

ENVELOPE = {
    "type": "object",
    "description": "CloudEvents 1.0 structured-mode envelope with correlation extensions.",
    "required": ["id", "source", "type", "specversion", "time", "data"],
    "properties": {
        "id": {"type": "string", "description": "Unique event id (UUID); the inbox key."},
        "source": {"type": "string", "examples": ["/baokao/registration"]},
        "type": {"type": "string", "description": "Event type; also the AMQP routing key."},
        "specversion": {"const": "1.0"},
        "time": {"type": "string", "format": "date-time"},
        "subject": {"type": ["string", "null"]},
        "datacontenttype": {"const": "application/json"},
        "dataschema": {"type": "string", "description": "Points at this document's schema."},
        "correlationid": {"type": "string",
                          "description": "Id of the request that started the chain."},
        "causationid": {"type": ["string", "null"], "description": "Id of the event that "
                        "caused this one."},
        "data": {"type": "object"},
    },
}


def _resolver(schema):
    cls = schema if isinstance(schema, type) else type(schema)
    return cls.__name__


def _decimal_as_string(self, field, **kwargs) -> dict:
    """Decimals travel as strings ("75.5"), so describe them as such, not as numbers."""
    if isinstance(field, fields.Decimal) and field.as_string:
        nullable = field.allow_none
        return {"type": ["string", "null"] if nullable else "string", "format": "decimal",
                "pattern": r"^-?\d+(\.\d+)?$"}
    return {}


def asyncapi_document(exchange: str = "baokao.events") -> dict:
    catalog = load_catalog()
    plugin = MarshmallowPlugin(schema_name_resolver=_resolver)
    spec = APISpec("events", "1", "3.1.0", plugins=[plugin])
    plugin.converter.add_attribute_function(_decimal_as_string)
    for c in sorted(catalog.values(), key=lambda c: c.key):
        spec.components.schema(c.key, schema=c.schema)
    schemas = spec.to_dict()["components"]["schemas"]
    schemas["CloudEventEnvelope"] = ENVELOPE
    channels, operations, messages = {}, {}, {}
    for c in sorted(catalog.values(), key=lambda c: c.key):
        messages[c.key] = {
            "name": c.key, "title": c.type, "summary": c.summary,
            "contentType": "application/cloudevents+json",
            "x-producer": c.producer, "x-version": c.version, "x-personal-data": c.pii,
            "payload": {"allOf": [{"$ref": "#/components/schemas/CloudEventEnvelope"}, {
                "type": "object",
                "properties": {"type": {"const": c.type},
                               "data": {"$ref": f"#/components/schemas/{c.key}"}}}]},
        }
        channel = channels.setdefault(c.type, {
            "address": c.type, "description": c.summary, "messages": {},
            "bindings": {"amqp": {"is": "routingKey", "exchange": {
                "name": exchange, "type": "topic", "durable": True, "autoDelete": False}}}})
        channel["messages"][c.key] = {"$ref": f"#/components/messages/{c.key}"}
        operations[f"{c.producer}.publishes.{c.key}"] = {
            "action": "send", "channel": {"$ref": f"#/channels/{c.type}"},
            "summary": f"{c.producer} publishes {c.type} (v{c.version})",
            "messages": [{"$ref": f"#/channels/{c.type}/messages/{c.key}"}]}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Baokao events", "version": "1.0.0", "description": (
            "Every fact the Baokao services publish. Topic exchange `baokao.events`, routing "
            "key = event type. Bind your own durable queue to the types you need. Messages are "
            "persistent CloudEvents; deliveries can repeat, so deduplicate on `id`. A breaking "
            "change is a new version (see `dataschema`), never an edit.")},
        "defaultContentType": "application/cloudevents+json",
        "servers": {"production": {"host": "rabbitmq:5672", "protocol": "amqp",
                                   "protocolVersion": "0-9-1"}},
        "channels": channels, "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def main() -> None:
    import sys
    json.dump(asyncapi_document(), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

"""Validate event data against the generated AsyncAPI document (JSON Schema 2020-12)."""
from __future__ import annotations

from functools import cache

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from services.common.asyncapi import asyncapi_document

DOC_URI = "urn:baokao:asyncapi"


@cache
def _registry() -> tuple[dict, Registry]:
    doc = asyncapi_document()
    resource = Resource.from_contents(doc, default_specification=DRAFT202012)
    return doc, Registry().with_resource(DOC_URI, resource)


def validator(schema_name: str) -> Draft202012Validator:
    _, registry = _registry()
    return Draft202012Validator({"$ref": f"{DOC_URI}#/components/schemas/{schema_name}"},
                                registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def check_envelope(envelope: dict) -> list[str]:
    """Errors of one published CloudEvent against the document (empty when valid)."""
    doc, _ = _registry()
    version = envelope.get("dataschema", "").rsplit(".v", 1)[-1]
    key = f"{envelope.get('type')}.v{version}"
    if key not in doc["components"]["messages"]:
        return [f"{key} is not in the AsyncAPI document"]
    errors = [f"envelope: {e.message}" for e in validator("CloudEventEnvelope").iter_errors(envelope)]
    errors += [f"data: {e.json_path}: {e.message}" for e in validator(key).iter_errors(envelope["data"])]
    return errors

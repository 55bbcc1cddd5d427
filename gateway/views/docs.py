"""Integrator documentation: the AsyncAPI event catalog and the merged OpenAPI of all services."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template

from gateway.clients import ServiceUnavailable, upstream
from services.common.asyncapi import asyncapi_document

bp = Blueprint("docs", __name__)


@bp.get("/api/asyncapi.json")
def asyncapi():
    return jsonify(asyncapi_document())


@bp.get("/api/openapi.json")
def openapi():
    """Every service's own document, merged; a service that is down is listed as such."""
    merged = {"openapi": "3.0.3", "info": {"title": "Baokao API", "version": "1.0.0",
              "description": "All services behind the gateway. Errors: {error: {code, message, "
                             "fields}} with stable codes."},
              "paths": {}, "components": {"schemas": {}, "securitySchemes": {}},
              "x-unavailable": []}
    for service in current_app.config["GATEWAY"].service_urls:
        try:
            resp = upstream(service, "GET", f"/api/{service}/openapi.json", timeout=3)
            doc = resp.json()
        except (ServiceUnavailable, ValueError):
            merged["x-unavailable"].append(service)
            continue
        prefix = service.capitalize()
        text = _prefix_refs(doc, prefix)
        merged["paths"].update(text.get("paths", {}))
        for name, schema in text.get("components", {}).get("schemas", {}).items():
            merged["components"]["schemas"][f"{prefix}{name}"] = schema
        merged["components"]["securitySchemes"].update(
            doc.get("components", {}).get("securitySchemes", {}))
    return jsonify(merged)


def _prefix_refs(node, prefix: str):
    if isinstance(node, dict):
        return {k: (v.replace("#/components/schemas/", f"#/components/schemas/{prefix}")
                    if k == "$ref" and isinstance(v, str) else _prefix_refs(v, prefix))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_prefix_refs(v, prefix) for v in node]
    return node


@bp.get("/docs/events")
def events():
    doc = asyncapi_document()
    by_producer: dict[str, list] = {}
    for key, message in doc["components"]["messages"].items():
        schema = doc["components"]["schemas"][key]
        by_producer.setdefault(message["x-producer"], []).append((message, schema))
    return render_template("events.html", doc=doc, by_producer=by_producer)

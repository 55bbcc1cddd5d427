"""Form helpers: read a posted form, and put the API's field errors next to their fields."""
from __future__ import annotations

from marshmallow import Schema, ValidationError

from gateway.clients import ApiError


def flatten(fields: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (fields or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, list):
            out[name] = "；".join(str(v) for v in value)
        else:
            out[name] = str(value)
    return out


def api_errors(exc: ApiError) -> dict[str, str]:
    errors = flatten(exc.fields)
    if not errors:
        errors["_form"] = exc.message
    return errors


def load_form(schema: type[Schema], form) -> tuple[dict, dict[str, str]]:
    """Validate a posted form with marshmallow; (data, errors) with Chinese messages."""
    from services.common.web.errors import translate
    raw = {k: v for k, v in form.items() if k != "csrf_token"}
    try:
        return schema().load(raw, unknown="exclude"), {}
    except ValidationError as exc:
        return {}, flatten(translate(exc.messages))

"""Field helpers shared by the contracts."""
from marshmallow import fields, validate

Id = lambda **kw: fields.String(required=True, validate=validate.Length(min=1, max=64), **kw)  # noqa: E731
Text = lambda **kw: fields.String(validate=validate.Length(max=500), **kw)  # noqa: E731
Fen = lambda **kw: fields.Integer(required=True, validate=validate.Range(min=0), **kw)  # noqa: E731

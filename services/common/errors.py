"""Errors with a stable code: raised by domain and service layers, rendered by the web layer.

Pure Python so domain code may raise them. ``message`` is for people (Chinese first);
``code`` is for programs and never changes once published.
"""
from __future__ import annotations


class DomainError(Exception):
    status = 409
    code = "conflict"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 **details):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Invalid(DomainError):
    """Well-formed input that breaks a business rule."""
    status = 422
    code = "rule_violated"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class PermanentFailure(Exception):
    """A message that can never be handled (bad schema): park it at once, do not retry."""

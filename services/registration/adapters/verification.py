"""What registration asks verification synchronously: the integrity list and major relations.

The service layer sees only the ``Verification`` interface; ``HttpVerification`` is the real
adapter (short timeout, the candidate's own token forwarded) and ``StaticVerification`` stands in
for it in tests and in embedded demos without a verification process.

Verification's API (services/verification/web/eligibility_api.py) answers 200 with
``{"listed": bool, …}`` and ``{"relation": "own"|"related"|"other", …}``; the integrity question
needs a token (a candidate may ask about themselves, staff about anyone), so the caller's own
token is forwarded. When verification cannot answer (timeout, connection refused, any status
but 200, e.g. an older verification without the route) the adapter raises
``VerificationUnavailable``; callers decide: choosing commitment mode is refused (fail closed,
the candidate may retry or apply without it), the major warning degrades to a softer warning.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import requests

RELATIONS = ("own", "related", "other")


class VerificationUnavailable(Exception):
    """Verification did not answer in time or answered with a server error."""


class Verification(Protocol):
    def on_integrity_list(self, candidate_id: str, on: date, token: str | None) -> bool: ...

    def major_relation(self, exam: str, level: str, major: str, token: str | None) -> str | None:
        """``own`` / ``related`` / ``other``, or None when the table does not know the major."""


class HttpVerification:
    def __init__(self, base_url: str, timeout: float = 2.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def _get(self, path: str, params: dict, token: str | None) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            resp = self.session.get(self.base_url + path, params=params, headers=headers,
                                    timeout=self.timeout)
        except requests.RequestException as exc:
            raise VerificationUnavailable(type(exc).__name__) from exc
        if resp.status_code != 200:  # verification always answers 200 for a well-formed
            raise VerificationUnavailable(f"HTTP {resp.status_code}")  # question: else fail
        try:
            return resp.json()
        except ValueError as exc:
            raise VerificationUnavailable("not JSON") from exc

    def on_integrity_list(self, candidate_id: str, on: date, token: str | None) -> bool:
        body = self._get(f"/api/verification/integrity/{candidate_id}", {"on": on.isoformat()},
                         token)
        return bool(body.get("listed"))

    def major_relation(self, exam: str, level: str, major: str, token: str | None) -> str | None:
        body = self._get("/api/verification/majors/relation",
                         {"exam": exam, "level": level, "major": major}, token)
        relation = body.get("relation")
        return relation if relation in RELATIONS else None


@dataclass
class StaticVerification:
    """Fixed answers (tests, embedded demo without verification); ``down`` simulates an outage."""
    listed: set[str] = field(default_factory=set)
    relations: dict[str, str] = field(default_factory=dict)  # major → relation
    down: bool = False

    def on_integrity_list(self, candidate_id: str, on: date, token: str | None) -> bool:
        if self.down:
            raise VerificationUnavailable("down")
        return candidate_id in self.listed

    def major_relation(self, exam: str, level: str, major: str, token: str | None) -> str | None:
        if self.down:
            raise VerificationUnavailable("down")
        return self.relations.get(major)


class PhotoCheck(Protocol):
    def approved(self, session, candidate_id: str) -> bool: ...


class ProjectedPhotoCheck:
    """Seed 000: the photo must have passed review before the application is confirmed.
    Identity reviews and locks photos; registration keeps its own projection of
    ``identity.photo.locked`` (``candidate_photos``), so confirming never calls identity."""

    def approved(self, session, candidate_id: str) -> bool:
        from services.registration.service_layer.projections import photo_locked_for
        return photo_locked_for(session, candidate_id)

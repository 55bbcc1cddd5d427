"""A candidate's photo, from identity's internal API with the calling service's token.

Photos are identity's: ``GET /api/identity/internal/candidates/<id>/photo`` (allow-list:
certificates, registration) answers the locked (reviewed) standard JPEG, or 404 when the
candidate has none. Callers keep no copy: certificates asks for the holder's shared view and
PDF, registration for the admit card and the application forms it prints.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from services.common.service_auth import ServiceClient, ServiceUnavailable, service_client

log = logging.getLogger(__name__)
MAX_BYTES = 512 * 1024  # identity's standard photo is ≤ 20 KB by default; anything huge is wrong

OK, NONE, UNAVAILABLE = "ok", "none", "unavailable"


@dataclass(frozen=True)
class HolderPhoto:
    status: str  # ok | none (no locked photo) | unavailable (identity did not answer)
    jpeg: bytes | None = None


class HttpHolderPhotos:
    def __init__(self, client: ServiceClient):
        self.client = client

    @classmethod
    def for_service(cls, settings) -> HttpHolderPhotos:
        """With the calling service's own token (tests may pass ``extra["identity_session"]``)."""
        return cls(service_client(settings, "identity",
                                  session=settings.extra.get("identity_session")))

    def fetch(self, candidate_id: str) -> HolderPhoto:
        try:
            resp = self.client.get(f"/api/identity/internal/candidates/{candidate_id}/photo")
        except ServiceUnavailable as exc:
            log.warning("holder photo of %s: identity unavailable: %s", candidate_id, exc)
            return HolderPhoto(UNAVAILABLE)
        if resp.status_code == 404:
            return HolderPhoto(NONE)
        body = resp.content
        if resp.status_code != 200 or not body.startswith(b"\xff\xd8\xff") \
                or len(body) > MAX_BYTES:
            log.warning("holder photo of %s: identity answered %s", candidate_id,
                        resp.status_code)
            return HolderPhoto(UNAVAILABLE)
        return HolderPhoto(OK, body)

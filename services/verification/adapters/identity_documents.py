"""The full document number, from identity's internal API with verification's service token.

``GET /api/identity/internal/candidates/<id>/document`` (allow-list: verification) answers
``{candidate_id, name, document_type, document_number}``. The number stays in memory for one
registry question; nothing here logs it.
"""
from __future__ import annotations

from services.common.service_auth import ServiceClient, ServiceUnavailable
from services.verification.domain.registries import CandidateDocument, DocumentsUnavailable


class HttpCandidateDocuments:
    def __init__(self, client: ServiceClient):
        self.client = client

    def fetch(self, candidate_id: str) -> CandidateDocument | None:
        try:
            resp = self.client.get(f"/api/identity/internal/candidates/{candidate_id}/document")
        except ServiceUnavailable as exc:
            raise DocumentsUnavailable(f"identity: {exc}") from exc
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            raise DocumentsUnavailable(f"identity: HTTP {resp.status_code}")
        try:
            body = resp.json()
            return CandidateDocument(document_type=body["document_type"],
                                     document_number=body["document_number"], name=body["name"])
        except (ValueError, KeyError, TypeError) as exc:
            raise DocumentsUnavailable("identity: malformed answer") from exc

"""What identity tells other services (never people): service tokens, a candidate's full
document for the public-security check, and the locked photo for certificates and admit cards."""
from __future__ import annotations

from services.common.errors import NotFound, Unauthorized
from services.common.service_auth import check_secret
from services.identity.domain.model import Account
from services.identity.service_layer import photos


def issue_service_token(clients: dict[str, tuple[str, ...]], keys, client_id: str, secret: str) -> dict:
    """OAuth 2.0 client credentials: a short-lived token for a known service."""
    if not check_secret(clients, client_id, secret):
        raise Unauthorized("服务凭证无效", code="invalid_client")
    token, ttl = keys.issue_service(client_id)
    return {"access_token": token, "token_type": "Bearer", "expires_in": ttl}


def candidate_document(uow, candidate_id: str, caller: str) -> dict:
    """The unmasked document; every reveal is audited like a staff member's."""
    account = uow.session.get(Account, candidate_id)
    if account is None or account.is_staff:
        raise NotFound("没有这个考生", code="candidate_not_found")
    uow.audit(f"service:{caller}", "reveal.document", account.id, reason="identity_check")
    uow.commit()
    return {"candidate_id": account.id, "name": account.name,
            "document_type": account.document_type, "document_number": account.document_number}


def locked_photo(uow, candidate_id: str) -> tuple[str, str, bytes]:
    """(photo id, sha256, JPEG) of the photo that passed review; 404 when there is none."""
    row = photos.locked(uow, candidate_id)
    if row is None:
        raise NotFound("该考生没有已审核锁定的照片", code="photo_not_found")
    return row.id, row.sha256, photos.image(uow, row.id)

"""Reading certificates: public verification, the holder's own list and files."""
from __future__ import annotations

import json

from sqlalchemy import and_, select

from services.certificates.adapters.orm import (
    certificate_versions,
    certificates,
    national_reports,
)
from services.certificates.adapters.stats import count_verification
from services.certificates.domain import credential, national, numbers, proof
from services.certificates.domain.model import (
    CHINA,
    REVOKED,
    SUPERSEDED,
    TITLE,
    VERSION_STATUSES,
    Certificate,
    names_match,
)
from services.common.errors import NotFound

NOT_FOUND = {"status": "not_found", "signature_valid": False, "certificate": None}


def _verdict(credential_json: str | None, kid: str | None, keys) -> proof.Verdict:
    try:
        document = json.loads(credential_json or "")
    except ValueError:
        return proof.Verdict(False, "malformed", "证书数据损坏")
    return proof.verify(document, keys.public_keys(kid))


def check_signature(cert: Certificate, keys) -> proof.Verdict:
    """Re-verify the stored credential, as an outside verifier would."""
    return _verdict(cert.credential, cert.kid, keys)


def public_view(cert: Certificate, version=None) -> dict:
    """What verification shows: only what the certificate prints (document number masked)."""
    return {"number": cert.number,
            "holder_name": version.holder_name if version else cert.holder_name,
            "document_number_masked": (version.document_number_masked if version
                                       else cert.document_number_masked),
            "title": cert.title, "specialty": cert.specialty,
            "issued_on": (version.issued_at.astimezone(CHINA).date() if version
                          else cert.issued_on),
            "issuing_authority": cert.issuing_authority,
            "version": version.version if version else cert.version,
            **(kind_view(cert) if cert.kind == TITLE else {})}  # absent kind = qualification


def kind_view(cert: Certificate) -> dict:
    """Which kind of certificate, and for a professional title what it states besides."""
    out = {"kind": cert.kind, "kind_label": cert.kind_label}
    if cert.kind == TITLE:
        out.update(series=cert.series, title_name=cert.exam_name, title_level=cert.level,
                   application_type=cert.application_type,
                   application_type_label=cert.application_type_label,
                   decided_by=cert.decided_by)
    return out


def versions_of(uow, number: str) -> list:
    v = certificate_versions
    return uow.session.execute(select(v).where(v.c.number == number)
                               .order_by(v.c.version.desc())).all()


def answer(cert: Certificate, keys, version=None) -> dict:
    """The verification answer for the certificate, or for one of its earlier versions."""
    if version is not None and version.version != cert.version:
        verdict = _verdict(version.credential, version.kid, keys)
        out = {"status": "revoked" if cert.status == REVOKED else "corrected",
               "signature_valid": verdict.valid, "certificate": public_view(cert, version)}
        if version.status == SUPERSEDED:
            out["superseded_by_version"] = cert.version
        return out
    verdict = check_signature(cert, keys)
    return {"status": "revoked" if cert.status == REVOKED else "valid",
            "signature_valid": verdict.valid, "certificate": public_view(cert)}


def verify(uow, keys, number: str, name: str, version: int | None = None) -> dict:
    """Public check by number and holder name; a wrong name is answered as an unknown number.

    With ``version`` (what the QR code of a print carries) an earlier version answers
    ``corrected`` with the version that replaced it; so does the holder's former name.
    """
    count_verification(uow.session, "number")
    number = numbers.normalise(number)
    if not numbers.is_well_formed(number):
        return dict(NOT_FOUND)
    cert = uow.session.get(Certificate, number)
    if cert is None:
        return dict(NOT_FOUND)
    if version is None or version == cert.version:
        if names_match(name, cert.holder_name):
            return answer(cert, keys)
        candidates = [v for v in versions_of(uow, number) if v.version != cert.version]
    else:
        candidates = [v for v in versions_of(uow, number) if v.version == version]
    for v in candidates:
        if names_match(name, v.holder_name):
            return answer(cert, keys, v)
    return dict(NOT_FOUND)


def verify_document(uow, keys, document) -> dict:
    """Check an uploaded credential JSON: its signature against our keys, then its status."""
    count_verification(uow.session, "credential")
    kid = None
    if isinstance(document, dict) and isinstance(document.get("proof"), dict):
        kid = proof.kid_of(str(document["proof"].get("verificationMethod", "")))
    verdict = proof.verify(document, keys.public_keys(kid))
    if not verdict.valid:
        return {"status": "invalid", "signature_valid": False, "reason": verdict.code,
                "message": verdict.message, "certificate": None}
    subject = document.get("credentialSubject") or {}
    number = str(subject.get("certificateNumber", ""))
    cert = uow.session.get(Certificate, number) if numbers.is_well_formed(number) else None
    v = certificate_versions
    row = uow.session.execute(select(v).where(and_(
        v.c.number == number, v.c.version == subject.get("certificateVersion")))).first() \
        if cert is not None and isinstance(subject.get("certificateVersion"), int) else None
    if row is None:  # a valid signature of ours over something we never stored
        return {"status": "invalid", "signature_valid": True, "reason": "unknown_certificate",
                "message": "签名有效，但本平台没有这本证书的记录", "certificate": None}
    out = answer(cert, keys, row)
    out.update(reason={"valid": "ok", "revoked": "revoked", "corrected": "superseded"}[out["status"]],
               message={"valid": "证书有效", "revoked": "证书已吊销",
                        "corrected": f"证书已补正（被第 {cert.version} 版取代）"}[out["status"]])
    return out


def list_for(uow, candidate_id: str, base_url: str, kind: str | None = None) -> list[dict]:
    """My certificates, newest first; ``kind`` keeps only qualifications or only titles."""
    query = select(Certificate).where(certificates.c.candidate_id == candidate_id)
    if kind:
        query = query.where(certificates.c.kind == kind)
    rows = uow.session.execute(query.order_by(certificates.c.issued_at.desc())).scalars().all()
    reports = dict(uow.session.execute(select(national_reports.c.number, national_reports.c.state)
                                       .where(national_reports.c.candidate_id == candidate_id)).all())
    return [{"number": c.number,
             **({"national_state": reports.get(c.number),
                 "national_state_label": national.STATES.get(reports.get(c.number), "未上报")}
                if c.kind == TITLE else {}), "title": c.title, "specialty": c.specialty,
             "issuing_authority": c.issuing_authority, "issued_on": c.issued_on,
             "status": c.status, "version": c.version,
             "verification_url": credential.verification_url(base_url, c.number),
             **kind_view(c)} for c in rows]


def history(uow, cert: Certificate) -> list[dict]:
    return [{"version": v.version, "holder_name": v.holder_name,
             "document_number_masked": v.document_number_masked, "issued_at": v.issued_at,
             "status": v.status, "status_label": VERSION_STATUSES.get(v.status, v.status),
             "superseded_at": v.superseded_at, "kid": v.kid}
            for v in versions_of(uow, cert.number)]


def owned(uow, number: str, candidate_id: str) -> Certificate:
    """The holder's own certificate; anyone else's is simply not there (404, never 403)."""
    cert = uow.session.get(Certificate, numbers.normalise(number))
    if cert is None or cert.candidate_id != candidate_id:
        raise NotFound("没有找到这本证书", code="certificate_not_found")
    return cert

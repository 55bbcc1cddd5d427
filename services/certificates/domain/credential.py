"""The certificate as a W3C Verifiable Credential 2.0 document (before its proof is added).

Every field a verifier needs is inside the signed document; nothing refers back to our database
except ``credentialStatus``, which points at the (later) bitstring status list: each certificate
gets its list index at issuance, so revocation will never require re-signing a credential.
"""
from __future__ import annotations

from services.certificates.domain.model import TITLE, Certificate

CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2"
CREDENTIAL_TYPE = "BaokaoQualificationCredential"
TITLE_CREDENTIAL_TYPE = "BaokaoProfessionalTitleCredential"
STATUS_LIST_SIZE = 131072  # bits per status list: the spec's minimum for herd privacy


def certificate_id(number: str) -> str:
    return f"urn:baokao:certificate:{number}"


def iso_z(dt) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def issuer_id(base_url: str) -> str:
    return f"{base_url}/api/certificates/issuer"


def status_list_url(base_url: str, index: int) -> str:
    return f"{base_url}/api/certificates/status/{index // STATUS_LIST_SIZE + 1}"


def _qualification(cert: Certificate) -> tuple[str, dict]:
    qualification = {"type": "BaokaoQualification", "examCode": cert.exam_code,
                     "exam": cert.exam_name, "level": cert.level, "year": cert.sitting_year,
                     "title": cert.title, "qualifiedOn": cert.qualified_on.isoformat()}
    if cert.specialty:
        qualification["specialty"] = cert.specialty
    return "qualification", qualification


def _professional_title(cert: Certificate) -> tuple[str, dict]:
    """What a title certificate attests: series, title, level, specialty, how and by whom."""
    title = {"type": "BaokaoProfessionalTitle", "series": cert.series or "",
             "title": cert.exam_name, "level": cert.level, "fullTitle": cert.title,
             "applicationType": cert.application_type or "",
             "applicationNumber": cert.application_number or "",
             "decidedBy": cert.decided_by or "", "decidedOn": cert.qualified_on.isoformat()}
    if cert.specialty:
        title["specialty"] = cert.specialty
    return "professionalTitle", title


def build(cert: Certificate, base_url: str) -> dict:
    """The unsigned credential of ``cert``; ``base_url`` is the platform's public address."""
    is_title = cert.kind == TITLE
    claim, attested = _professional_title(cert) if is_title else _qualification(cert)
    list_url = status_list_url(base_url, cert.status_index)
    slot = cert.status_index % STATUS_LIST_SIZE
    return {
        "@context": [CONTEXT_V2],
        "id": certificate_id(cert.number),
        "type": ["VerifiableCredential", TITLE_CREDENTIAL_TYPE if is_title else CREDENTIAL_TYPE],
        "name": cert.title,
        "issuer": {"id": issuer_id(base_url), "name": cert.issuing_authority},
        "validFrom": iso_z(cert.issued_at),
        "credentialSubject": {
            "name": cert.holder_name,
            "documentNumberMasked": cert.document_number_masked,
            "certificateNumber": cert.number,
            "certificateVersion": cert.version,
            "issuedOn": cert.issued_on.isoformat(),
            claim: attested,
        },
        "credentialStatus": {
            "id": f"{list_url}#{slot}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(slot),
            "statusListCredential": list_url,
        },
    }


def verification_url(base_url: str, number: str) -> str:
    """The public page (served by the gateway) a QR code and the issued event point at."""
    return f"{base_url}/verify?number={number}"


def versioned_verification_url(base_url: str, number: str, version: int) -> str:
    """What the QR code of a printed version holds: a superseded print then says so."""
    return f"{verification_url(base_url, number)}&version={version}"


def list_id_of(index: int) -> int:
    return index // STATUS_LIST_SIZE + 1

"""The sealed PDF of a certificate version: rendered and PAdES-sealed on first download, kept."""
from __future__ import annotations

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from services.certificates.adapters import pdf
from services.certificates.adapters.orm import certificates, sealed_pdfs
from services.certificates.domain import credential
from services.common import clock


def sealed_pdf(uow, seals, cert, base_url: str, photos=None) -> bytes:
    """The PDF of the current version (sealed once, then served byte for byte).

    The holder's photo comes from identity (``photos``). A PDF made while identity could not
    answer shows a placeholder saying so and is not kept: the next download tries again. One
    made before the holder had a locked photo is kept until identity locks one
    (``on_photo_locked``).
    """
    t = sealed_pdfs
    row = uow.session.execute(select(t.c.pdf).where(t.c.number == cert.number,
                                                    t.c.version == cert.version)).first()
    if row is not None:
        return row.pdf
    photo = photos.fetch(cert.candidate_id) if photos is not None else None
    body = pdf.render(cert, credential.versioned_verification_url(base_url, cert.number,
                                                                  cert.version), photo=photo)
    seal_id, sealed = seals.seal(body, f"电子证书 {cert.number} 第 {cert.version} 版")
    if photo is not None and photo.status == "unavailable":
        return sealed
    try:
        with uow.session.begin_nested():
            uow.session.execute(insert(t).values(number=cert.number, version=cert.version,
                                                 pdf=sealed, seal_id=seal_id,
                                                 created_at=clock.now()))
    except IntegrityError:  # another request sealed it first: serve that one
        return uow.session.execute(select(t.c.pdf).where(
            t.c.number == cert.number, t.c.version == cert.version)).scalar_one()
    return sealed


def on_photo_locked(event, uow) -> None:
    """identity.photo.locked: the holder's kept PDFs were printed with another photo or with
    the "no photo yet" placeholder; drop them so the next download prints the locked one. The
    certificate's data and its versions do not change, only the printout."""
    mine = select(certificates.c.number).where(
        certificates.c.candidate_id == event.data["candidate_id"])
    uow.session.execute(delete(sealed_pdfs).where(sealed_pdfs.c.number.in_(mine)))

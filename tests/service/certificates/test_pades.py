"""The PDF carries a PAdES seal made with the issuing authority's seal certificate."""
import io

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from tests.service.certificates.conftest import with_identity

API = "/api/certificates"


@pytest.fixture
def identity_url(identity):
    """Identity answers (the holder has no locked photo), so the sealed PDF is kept."""
    return with_identity(identity)


def status_of(svc, data: bytes):
    reader = PdfFileReader(io.BytesIO(data))
    [sig] = reader.embedded_signatures
    vc = ValidationContext(trust_roots=svc.rt.services["seals"].trust_roots())
    return validate_pdf_signature(sig, vc)


def download(svc, number):
    resp = svc.client.get(f"{API}/{number}/certificate.pdf", headers=svc.holder())
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    return resp.data


def test_sealed_pdf_validates_and_is_served_byte_for_byte_again(svc):
    n = svc.qualify()["number"]
    data = download(svc, n)
    status = status_of(svc, data)
    assert status.intact and status.valid and status.trusted
    assert status.bottom_line
    assert "电子证书签章" in status.signing_cert.subject.human_friendly
    assert download(svc, n) == data


def test_one_modified_byte_breaks_the_seal(svc):
    n = svc.qualify()["number"]
    data = bytearray(download(svc, n))
    at = data.index(b"/Title")  # inside the signed byte range: the document info
    data[at + 9] ^= 0x01
    status = status_of(svc, bytes(data))
    assert not status.intact and not status.bottom_line


def test_an_appended_unsigned_revision_is_reported(svc):
    n = svc.qualify()["number"]
    data = download(svc, n)
    w = IncrementalPdfFileWriter(io.BytesIO(data))
    w.root["/Lang"] = generic.TextStringObject("en")  # an edit after sealing
    w.update_root()
    out = io.BytesIO()
    w.write(out)
    status = status_of(svc, out.getvalue())
    assert status.intact and status.coverage.name != "ENTIRE_FILE"


def test_sealing_works_inside_a_running_event_loop(svc):
    """pyHanko's own asyncio.run must not clash with a loop already running in the thread."""
    import asyncio
    n = svc.qualify()["number"]

    async def fetch():
        return svc.client.get(f"/api/certificates/{n}/certificate.pdf", headers=svc.holder())
    resp = asyncio.run(fetch())
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")

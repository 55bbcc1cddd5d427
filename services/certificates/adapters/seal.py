"""The issuing authority's seal: PAdES signatures on certificate PDFs (pyHanko).

Production loads the seal certificate a CA issued to the authority (电子印章 / organisation
certificate) from a PKCS#12 file: ``BAOKAO_CERTIFICATES_SEAL_P12`` (path, mounted from a secret)
and ``BAOKAO_CERTIFICATES_SEAL_P12_PASSPHRASE``; ``BAOKAO_CERTIFICATES_TSA_URL`` adds an RFC 3161
timestamp (PAdES B-T). Without them (development) a self-made seal CA and seal certificate are
created once and kept in ``seal_keys``, the private key encrypted with the signing-key passphrase,
like the Ed25519 keys. A PDF reader then shows the signature intact or broken; it shows it
trusted only when the seal CA is in its trust store (for the dev CA: never).
"""
from __future__ import annotations

import asyncio
import io
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko_certvalidator.registry import SimpleCertificateStore
from sqlalchemy import insert, select

from services.certificates.adapters.orm import seal_keys
from services.common import clock

FIELD = "BaokaoSeal"


def _name(cn: str, org: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_dev_seal(org: str):
    """A self-made seal CA and a seal certificate it issued: (key, cert, ca_cert)."""
    now = clock.now()
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("报考平台开发用印章 CA（非正式）", org)
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                         critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(f"{org} 电子证书签章", org))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1825))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False,
                                         False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert, ca


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


class SealStore:
    def __init__(self, engine, passphrase: bytes, organisation: str):
        self.engine = engine
        self._passphrase = passphrase
        self.organisation = organisation
        self._lock = threading.Lock()
        self._signer: tuple[str, signers.SimpleSigner, list] | None = None
        self._tsa = os.environ.get("BAOKAO_CERTIFICATES_TSA_URL") or None

    def ensure(self) -> None:
        """Create the dev seal once (no-op when a PKCS#12 seal is configured)."""
        if os.environ.get("BAOKAO_CERTIFICATES_SEAL_P12"):
            return
        with self.engine.begin() as conn:
            if conn.execute(select(seal_keys.c.id).where(seal_keys.c.active)).first():
                return
            key, cert, ca = make_dev_seal(self.organisation)
            conn.execute(insert(seal_keys).values(
                id=f"seal-{cert.serial_number:x}"[:40], created_at=clock.now(), active=True,
                private_pem=key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                    serialization.BestAvailableEncryption(self._passphrase)).decode(),
                certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
                chain_pem=ca.public_bytes(serialization.Encoding.PEM).decode()))

    def _load(self):
        p12 = os.environ.get("BAOKAO_CERTIFICATES_SEAL_P12")
        if p12:
            pw = os.environ.get("BAOKAO_CERTIFICATES_SEAL_P12_PASSPHRASE", "").encode() or None
            with open(p12, "rb") as f:
                key, cert, chain = pkcs12.load_key_and_certificates(f.read(), pw)
            return f"p12-{cert.serial_number:x}"[:40], key, cert, list(chain or [])
        with self.engine.connect() as conn:
            row = conn.execute(select(seal_keys).where(seal_keys.c.active)
                               .order_by(seal_keys.c.created_at.desc())).first()
        if row is None:
            raise RuntimeError("no seal certificate (run migrations)")
        key = serialization.load_pem_private_key(row.private_pem.encode(), self._passphrase)
        return (row.id, key, x509.load_pem_x509_certificate(row.certificate_pem.encode()),
                x509.load_pem_x509_certificates(row.chain_pem.encode()))

    def signer(self) -> tuple[str, signers.SimpleSigner, list]:
        with self._lock:
            if self._signer is None:
                seal_id, key, cert, chain = self._load()
                pkcs8 = key.private_bytes(serialization.Encoding.DER,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
                chain_asn1 = [_asn1_cert(c) for c in chain]
                self._signer = (seal_id, signers.SimpleSigner(
                    signing_cert=_asn1_cert(cert),
                    signing_key=asn1_keys.PrivateKeyInfo.load(pkcs8),
                    cert_registry=SimpleCertificateStore.from_certs(chain_asn1)), chain_asn1)
            return self._signer

    def trust_roots(self) -> list:
        """The seal's issuing certificates (what a validator must trust)."""
        return self.signer()[2]

    def seal(self, pdf: bytes, reason: str) -> tuple[str, bytes]:
        """``pdf`` with a PAdES B-B (B-T with a TSA) signature; (seal id, sealed bytes)."""
        seal_id, signer, _ = self.signer()
        meta = signers.PdfSignatureMetadata(
            field_name=FIELD, md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES,
            reason=reason, location="中国", name=self.organisation)
        timestamper = None
        if self._tsa:
            from pyhanko.sign.timestamps import HTTPTimeStamper
            timestamper = HTTPTimeStamper(self._tsa)
        def sign() -> bytes:
            return signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta,
                                    signer=signer, timestamper=timestamper).getvalue()

        # pyHanko runs its own event loop (asyncio.run), which cannot start in a thread that
        # already runs one (an async server, or a test driving a browser): sign off-thread then.
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return seal_id, sign()
        with ThreadPoolExecutor(1) as pool:
            return seal_id, pool.submit(sign).result()

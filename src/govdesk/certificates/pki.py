"""Keys and certificates of the issuing organisations, PAdES signing and signature checks.

Everything lives in files under ``settings.PKI_DIR`` (``GOVDESK_PKI_DIR``), never in the
database::

    ca.crt.pem                       the certificate authority (the demo one: `govdesk demo-pki`)
    ca.key.pem                       its private key, encrypted
    issuers/<region code>.crt.pem    one issuing organisation's certificate, signed by the CA
    issuers/<region code>.key.pem    its private key, encrypted

Private keys are PKCS#8, encrypted with ``settings.SIGNING_KEY_PASSPHRASE``
(``GOVDESK_SIGNING_KEY_PASSPHRASE``, or a development passphrase generated under var/). In a
real deployment the CA is the provincial e-seal authority and only the issuer files are placed
here.

Keys are ECDSA P-256: a signature costs well under a millisecond, where pyHanko re-validates an
RSA key on every signature (tens of milliseconds). ``pdfsig`` and Adobe Reader accept both.
Signatures are PAdES baseline B-B (``ETSI.CAdES.detached`` with the signing-certificate-v2
attribute), SHA-256, whole document.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings

CA_CERT = "ca.crt.pem"
CA_KEY = "ca.key.pem"
ISSUERS = "issuers"
CA_NAME = "govdesk 演示电子印章根证书（仅供演示）"
CA_YEARS = 10
ISSUER_DAYS = 825
#: An issuer certificate closer than this to its end is renewed by ``demo_pki_setup``.
RENEW_BEFORE = timedelta(days=30)
SIGNATURE_FIELD = "govdesk-signature"
#: Room for the CMS signature (an ECDSA P-256 signature and the signer certificate).
SIGNATURE_BYTES = 8192


class SigningUnavailable(RuntimeError):
    """No usable key or certificate for an issuer: an operator's problem, said plainly."""


def folder() -> Path:
    return Path(settings.PKI_DIR)


def _passphrase() -> bytes:
    value: str = settings.SIGNING_KEY_PASSPHRASE
    return value.encode("utf-8")


def _issuer_files(base: Path, code: str) -> tuple[Path, Path]:
    if not code.isdigit():
        raise ValueError(f"Not a region code: {code!r}")
    return base / ISSUERS / f"{code}.crt.pem", base / ISSUERS / f"{code}.key.pem"


def _write(path: Path, data: bytes, *, private: bool) -> None:
    """Write atomically (a reader never sees half a file); private files are 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temp, 0o600 if private else 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@contextmanager
def _locked(base: Path) -> Iterator[None]:
    """Serialise set-up between processes (two test runs, a worker and the demo command)."""
    base.mkdir(parents=True, exist_ok=True)
    with open(base / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _name(common_name: str, code: str = "") -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, common_name),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    if code:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, code))
    return x509.Name(attributes)


def _key_bytes(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_passphrase()),
    )


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=_passphrase())
    except FileNotFoundError as exc:
        raise SigningUnavailable(f"The private key {path} does not exist.") from exc
    except (ValueError, TypeError) as exc:
        raise SigningUnavailable(
            f"The private key {path} cannot be decrypted: is GOVDESK_SIGNING_KEY_PASSPHRASE "
            "the passphrase it was created with?"
        ) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise SigningUnavailable(f"The private key {path} is not an ECDSA key.")
    return key


def _load_cert(path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except FileNotFoundError as exc:
        raise SigningUnavailable(f"The certificate {path} does not exist.") from exc
    except ValueError as exc:
        raise SigningUnavailable(f"The certificate {path} is not a PEM certificate.") from exc


def _ca_create(base: Path, now: datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(CA_NAME)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(base / CA_KEY, _key_bytes(key), private=True)
    _write(base / CA_CERT, cert.public_bytes(serialization.Encoding.PEM), private=False)
    return key, cert


def _issuer_create(
    base: Path,
    code: str,
    name: str,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    now: datetime,
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(name, code))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(min(now + timedelta(days=ISSUER_DAYS), ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = _issuer_files(base, code)
    _write(key_path, _key_bytes(key), private=True)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), private=False)


def _issuer_is_current(
    base: Path, code: str, name: str, ca_cert: x509.Certificate, now: datetime
) -> bool:
    cert_path, key_path = _issuer_files(base, code)
    if not (cert_path.is_file() and key_path.is_file()):
        return False
    try:
        cert = _load_cert(cert_path)
        key = _load_key(key_path)
    except SigningUnavailable:
        return False
    common = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return (
        cert.issuer == ca_cert.subject
        and bool(common)
        and common[0].value == name
        and cert.not_valid_after_utc - RENEW_BEFORE > now
        and cert.public_key() == key.public_key()
        and _signed_by(cert, ca_cert)
    )


def _signed_by(cert: x509.Certificate, ca_cert: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


@dataclass
class PkiReport:
    folder: Path
    ca_created: bool = False
    issuers_created: list[str] = field(default_factory=list)
    issuers_kept: int = 0


def demo_pki_setup(*, issuers: Iterable[tuple[str, str]], base: Path | None = None) -> PkiReport:
    """Create, idempotently, a demo CA and a signing key and certificate for each issuing
    organisation ``(region code, full name)``. Existing files that still fit are kept: a
    second run changes nothing; a renamed organisation or a certificate near its end is
    renewed; a new CA (its files deleted) re-issues every issuer certificate."""
    base = base or folder()
    report = PkiReport(folder=base)
    now = datetime.now(UTC)
    with _locked(base):
        ca_cert_path, ca_key_path = base / CA_CERT, base / CA_KEY
        if ca_cert_path.is_file() and ca_key_path.is_file():
            ca_cert, ca_key = _load_cert(ca_cert_path), _load_key(ca_key_path)
        else:
            ca_key, ca_cert = _ca_create(base, now)
            report.ca_created = True
        for code, name in issuers:
            if _issuer_is_current(base, code, name, ca_cert, now):
                report.issuers_kept += 1
                continue
            _issuer_create(base, code, name, ca_key, ca_cert, now)
            report.issuers_created.append(code)
    return report


# --- signing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuerKey:
    signer: Any  # pyhanko.sign.signers.SimpleSigner
    fingerprint: str  # SHA-256 of the issuer certificate (DER), hex
    subject: str


def _stamp(path: Path) -> tuple[float, int]:
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise SigningUnavailable(
            f"No signing key for this issuer: {path} does not exist. Run `govdesk demo-pki` "
            "(demo) or install the organisation's key and certificate there."
        ) from exc
    return stat.st_mtime, stat.st_size


def issuer_key(code: str) -> IssuerKey:
    """The signer of one issuing organisation, loaded once and kept until its files change."""
    base = folder()
    cert_path, key_path = _issuer_files(base, code)
    ca_path = base / CA_CERT
    stamps = (_stamp(cert_path), _stamp(key_path), _stamp(ca_path))
    digest = hashlib.sha256(_passphrase()).hexdigest()
    return _issuer_key(str(base), code, stamps, digest)


@lru_cache(maxsize=64)
def _issuer_key(base: str, code: str, stamps: object, passphrase_digest: str) -> IssuerKey:
    from pyhanko.keys.internal import (
        translate_pyca_cryptography_cert_to_asn1,
        translate_pyca_cryptography_key_to_asn1,
    )
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    cert_path, key_path = _issuer_files(Path(base), code)
    cert, key = _load_cert(cert_path), _load_key(key_path)
    ca_cert = _load_cert(Path(base) / CA_CERT)
    if cert.public_key() != key.public_key():
        raise SigningUnavailable(f"The key {key_path} does not belong to {cert_path}.")
    if not _signed_by(cert, ca_cert):
        raise SigningUnavailable(f"{cert_path} was not issued by the CA in {base}.")
    now = datetime.now(UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise SigningUnavailable(f"The certificate {cert_path} is not valid now.")
    registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]
    registry.register(translate_pyca_cryptography_cert_to_asn1(ca_cert))
    # The root is not embedded: a verifier must hold it already to trust anything, and with a
    # single embedded certificate pyHanko's unordered certificate set always encodes the same
    # way (two certificates in a Python set re-encode at random: +35 ms on half the signatures).
    signer = SimpleSigner(
        signing_cert=translate_pyca_cryptography_cert_to_asn1(cert),
        signing_key=translate_pyca_cryptography_key_to_asn1(key),
        cert_registry=registry,
        embed_roots=False,
    )
    return IssuerKey(
        signer=signer,
        fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
        subject=cert.subject.rfc4514_string(),
    )


def sign(pdf: bytes, *, issuer_code: str, name: str, location: str, reason: str) -> bytes:
    """Sign ``pdf`` (PAdES B-B, incremental update) with the issuer's key."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    key = issuer_key(issuer_code)
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        name=name,
        location=location,
        reason=reason,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    output = signers.sign_pdf(writer, meta, signer=key.signer, bytes_reserved=SIGNATURE_BYTES)
    signed: bytes = output.getvalue()
    return signed


# --- checking an uploaded PDF -----------------------------------------------------------------


@dataclass(frozen=True)
class SignatureCheck:
    """What a PDF's signature says. ``valid`` only if it is intact, covers the whole file and
    chains to our CA."""

    signed: bool
    intact: bool = False
    trusted: bool = False
    whole_file: bool = False
    signer: str = ""
    signer_fingerprint: str = ""
    problem: str = ""

    @property
    def valid(self) -> bool:
        return self.signed and self.intact and self.trusted and self.whole_file


def check_signature(data: bytes) -> SignatureCheck:
    """Validate the (last) signature of ``data`` with pyHanko against the CA in PKI_DIR."""
    from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # an upload may be anything; it must never crash the page
        return SignatureCheck(signed=False, problem=f"not a readable PDF: {exc}")
    if not signatures:
        return SignatureCheck(signed=False, problem="no signature")
    embedded = signatures[-1]
    try:
        ca = translate_pyca_cryptography_cert_to_asn1(_load_cert(folder() / CA_CERT))
    except SigningUnavailable as exc:
        return SignatureCheck(signed=True, problem=str(exc))
    context = ValidationContext(trust_roots=[ca], allow_fetching=False)
    try:
        status = validate_pdf_signature(embedded, signer_validation_context=context)
    except (SignatureValidationError, PdfError) as exc:
        return SignatureCheck(signed=True, problem=f"the signature is not valid: {exc}")
    except Exception as exc:  # a malformed signature dictionary, say
        return SignatureCheck(signed=True, problem=f"the signature cannot be read: {exc}")
    cert = status.signing_cert
    return SignatureCheck(
        signed=True,
        intact=bool(status.intact and status.valid),
        trusted=bool(status.trusted),
        whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        signer=str(cert.subject.human_friendly) if cert is not None else "",
        signer_fingerprint=cert.sha256.hex() if cert is not None else "",
    )

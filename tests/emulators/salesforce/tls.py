"""A throwaway self-signed TLS certificate for loopback emulators.

simple-salesforce builds ``https://`` URLs from the instance host, so the emulator must speak
TLS; clients trust it through ``session.verify = cert_path`` (the connector's ``ca_bundle``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def self_signed(
    common_name: str, extensions: Iterable[tuple[x509.ExtensionType, bool]] = ()
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A new RSA key and a certificate for it named ``common_name``, valid for a day.

    ``extensions`` are ``(extension, critical)`` pairs; validity starts five minutes back so a
    client clock slightly behind still accepts it.
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return key, builder.sign(key, hashes.SHA256())


def make_cert(folder: Path) -> tuple[Path, Path]:
    """Write ``cert.pem`` and ``key.pem`` for 127.0.0.1 / localhost into ``folder``."""
    key, cert = self_signed(
        "127.0.0.1",
        [
            (
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                False,
            ),
            (x509.BasicConstraints(ca=True, path_length=None), True),
        ],
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path

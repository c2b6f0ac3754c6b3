"""Locally made Google-style signing keys, certificates and identity tokens.

:class:`CertsServer` serves ``{key id: PEM certificate}`` on a loopback HTTP server, the format of
Google's https://www.googleapis.com/oauth2/v1/certs, so the service verifies tokens with
google-auth exactly as in production, only against keys made here.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from google.auth import crypt, jwt

CLIENT_ID = "1234567890-sidebar.apps.googleusercontent.com"


class SigningKey:
    """An RSA key with a self-signed X.509 certificate, as Google publishes them."""

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "securetoken.test")])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.private.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=2))
            .sign(self.private, hashes.SHA256())
        )
        self.cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
        pem = self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.signer = crypt.RSASigner.from_string(pem, key_id)

    def token(self, **claims: Any) -> str:
        """A signed identity token; ``claims`` override the defaults of a valid one."""
        now = int(time.time())
        payload = {
            "iss": "https://accounts.google.com",
            "aud": CLIENT_ID,
            "sub": "108000000000000000001",
            "email": "ana@acme.example",
            "email_verified": True,
            "hd": "acme.example",
            "iat": now,
            "exp": now + 3600,
        }
        payload.update(claims)
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(self.signer, payload).decode("ascii")


class CertsServer:
    """Serves the certificates of ``keys`` at ``url`` until :meth:`stop`."""

    def __init__(self, *keys: SigningKey) -> None:
        body = json.dumps({k.key_id: k.cert_pem for k in keys}).encode()
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "public, max-age=3600")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/oauth2/v1/certs"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Shut the server down."""
        self._server.shutdown()
        self._server.server_close()

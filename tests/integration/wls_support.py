"""A small test WLS (Ucam WebAuth "Raven" server) for the admin web's tests: it makes its own
RSA key pair and signs version 3 responses exactly as the protocol describes, so the tests can
also forge the broken ones (bad signature, unknown kid, stale, wrong url, cancelled).
It can also run as an HTTP server that answers every authentication request at once for a
fixed principal, for browser tests."""
from __future__ import annotations

import base64
import http.server
import secrets
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def _escape(value: str) -> str:
    # Field values escape '%' and '!' (the separator).
    return value.replace("%", "%25").replace("!", "%21")


def _webauth_b64(data: bytes) -> str:
    return base64.b64encode(data).decode().translate(str.maketrans("+/=", "-._"))


class TestWls:
    __test__ = False  # a helper, not a pytest class

    def __init__(self, kid: str = "901"):
        self.kid = kid
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def write_public_key(self, path: Path) -> Path:
        path.write_bytes(self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        return path

    def response(self, url: str, principal: str, *, status: str = "200", params: str = "/",
                 issue: datetime | None = None, kid: str | None = None, key=None,
                 response_id: str | None = None) -> str:
        issue = issue or datetime.now(timezone.utc)
        fields = ["3", status, "", issue.strftime("%Y%m%dT%H%M%SZ"),
                  response_id or secrets.token_hex(8), url,
                  principal if status == "200" else "", "current" if status == "200" else "",
                  "pwd" if status == "200" else "", "", "36000" if status == "200" else "",
                  params]
        signed = "!".join(_escape(f) for f in fields)
        signer = key or self.key
        sig = _webauth_b64(signer.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA1()))
        return signed + "!" + (kid or self.kid) + "!" + sig

    @staticmethod
    def stale() -> datetime:
        return datetime.now(timezone.utc) - timedelta(hours=1)

    def serve(self, principal: str) -> "WlsServer":
        return WlsServer(self, principal)


class WlsServer:
    """Answers /auth/authenticate.html?ver=3&url=...&params=... by redirecting straight back to
    url with a signed response for `principal` (who can be changed between sign-ins)."""

    def __init__(self, wls: TestWls, principal: str):
        self.wls = wls
        self.principal = principal
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                query = parse_qs(urlsplit(self.path).query)
                url = query["url"][0]
                response = outer.wls.response(url, outer.principal,
                                              params=query.get("params", ["/"])[0])
                self.send_response(302)
                self.send_header("Location", url + "?WLS-Response=" + quote(response, safe=""))
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/auth/authenticate.html"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

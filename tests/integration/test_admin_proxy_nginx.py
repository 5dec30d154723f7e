"""deploy/nginx-admin-web.conf in front of a real commonroom: a user the proxy's SSO check
let through signs in through /auth/proxy, and a user header sent by the browser itself is
never honoured. The example runs as written except for ports, paths, the certificate and
its plain-HTTP redirect server (which needs nothing tested). The SSO helper (oauth2-proxy's
/oauth2/auth contract) is a small stand-in here that trusts a cookie naming the user.

Needs nginx (Debian's `nginx`, installed by scripts/setup; NGINX_BIN overrides); without
it the test is skipped and says so."""
from __future__ import annotations

import http.client
import http.server
import os
import re
import shutil
import ssl
import subprocess
import threading
from pathlib import Path

import pytest

from harness import SOURCE_DIR, Commonroom, CommonroomConfig, commonroom_bin, free_port, \
    port_open, run_dir, wait_until
from pg_support import Cluster, migrated_database

HOST = "chat-admin.cam.ac.uk"
SECRET = "nginx-proxy-s3cret"


def nginx_binary() -> str | None:
    return os.environ.get("NGINX_BIN") or shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)


class SsoHelper(http.server.BaseHTTPRequestHandler):
    """/oauth2/auth: 2xx naming the user of the `sso` cookie, else 401 (as oauth2-proxy)."""

    def do_GET(self):  # noqa: N802 - the standard library's name
        cookie = self.headers.get("Cookie") or ""
        user = re.search(r"(?:^|; )sso=([a-z0-9]+)", cookie)
        if self.path.startswith("/oauth2/auth"):
            self.send_response(202 if user else 401)
            if user:
                self.send_header("X-Auth-Request-User", user[1])
        else:
            self.send_response(200)  # /oauth2/sign_in: the identity provider's page
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def templated_site(directory: Path, tls_port: int, admin_port: int, sso_port: int) -> str:
    text = (SOURCE_DIR / "deploy" / "nginx-admin-web.conf").read_text()
    # The port-80 server only redirects to https (and needs the rewrite module).
    text = re.sub(r"server \{\n    listen 80;.*?\n\}\n", "", text, count=1, flags=re.S)
    text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{tls_port} ssl http2;")
    text = re.sub(r"\n    listen \[::\]:443 ssl http2;", "", text)
    text = text.replace("/etc/ssl/certs/chat-admin.cam.ac.uk.pem", str(directory / "cert.pem"))
    text = text.replace("/etc/ssl/private/chat-admin.cam.ac.uk.key", str(directory / "key.pem"))
    text = text.replace("127.0.0.1:8480", f"127.0.0.1:{admin_port}")
    text = text.replace("127.0.0.1:4180", f"127.0.0.1:{sso_port}")
    text = text.replace("/etc/nginx/commonroom-proxy-secret.conf",
                        str(directory / "commonroom-proxy-secret.conf"))
    assert str(admin_port) in text and str(sso_port) in text
    return text


@pytest.fixture
def proxied():
    nginx = nginx_binary()
    if not nginx:
        pytest.skip("nginx is not installed (scripts/setup installs it)")
    directory = run_dir("admin-proxy-nginx")
    pg = Cluster()
    pg.start()
    sso = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SsoHelper)
    threading.Thread(target=sso.serve_forever, daemon=True).start()
    service = proc = None
    try:
        uri = migrated_database(pg, directory)
        (directory / "proxy.secret").write_text(SECRET + "\n")
        (directory / "proxy.secret").chmod(0o600)
        config = CommonroomConfig(link_port=free_port(), muc=None, directory=None,
                                  database_uri=uri)
        config.extra = {"admin-web": {
            "public_url": f"https://{HOST}",
            "proxy_user_header": "X-Remote-User",
            "proxy_addresses": "127.0.0.1",
            "proxy_secret_header": "X-Commonroom-Proxy-Secret",
            "proxy_secret_file": str(directory / "proxy.secret"),
        }}
        service = Commonroom(directory, config).start()
        granted = subprocess.run([str(commonroom_bin()), "--config", str(service.config_path),
                                  "admin", "grant", "ada", "admin"],
                                 capture_output=True, text=True, timeout=60)
        assert granted.returncode == 0, granted.stderr

        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", f"/CN={HOST}", "-keyout", str(directory / "key.pem"),
                        "-out", str(directory / "cert.pem")], check=True, capture_output=True)
        (directory / "commonroom-proxy-secret.conf").write_text(
            f'proxy_set_header X-Commonroom-Proxy-Secret "{SECRET}";\n')
        tls_port = free_port()
        site = templated_site(directory, tls_port, config.admin_port, sso.server_address[1])
        (directory / "site.conf").write_text(site)
        prefix = directory / "nginx"
        prefix.mkdir()
        (directory / "nginx.conf").write_text(
            ("user root;\n" if os.geteuid() == 0 else "") +
            f"daemon off;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log info;\n"
            "events { worker_connections 64; }\n"
            # Debian's nginx has absolute temp paths under /var/lib/nginx: keep them here.
            "http {\n" + "".join(f"  {kind}_temp_path {prefix}/{kind}-temp;\n"
                                 for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")) +
            f"  access_log {prefix}/access.log;\n  include {directory}/site.conf;\n}}\n")
        test = subprocess.run([nginx, "-t", "-p", str(prefix), "-e", str(prefix / "error.log"),
                               "-c", str(directory / "nginx.conf")],
                              capture_output=True, text=True, timeout=30)
        assert test.returncode == 0, test.stderr
        proc = subprocess.Popen([nginx, "-p", str(prefix), "-e", str(prefix / "error.log"),
                                 "-c", str(directory / "nginx.conf")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: port_open(tls_port) or proc.poll() is not None, 15, what="nginx")
        assert proc.poll() is None, (prefix / "error.log").read_text()
        wait_until(lambda: port_open(config.admin_port), 15, what="the admin web")
        yield tls_port
    finally:
        if proc and proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
        if service:
            service.stop()
        sso.shutdown()
        pg.stop()


def get(port: int, path: str, headers: dict[str, str]) -> tuple[int, str | None, str]:
    """(status, commonroom session cookie or None, body) through the proxy over TLS."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
    try:
        conn.request("GET", path, headers={"Host": HOST, **headers})
        r = conn.getresponse()
        body = r.read().decode(errors="replace")
        cookie = re.search(r"commonroom_session=([0-9a-f]{64})", r.getheader("Set-Cookie") or "")
        return r.status, cookie[1] if cookie else None, body
    finally:
        conn.close()


def test_nginx_example_signs_in_through_the_sso_check_only(proxied):
    port = proxied
    # The SSO check passed for ada: signed in, and the session opens the dashboard.
    status, session, body = get(port, "/auth/proxy", {"Cookie": "sso=ada"})
    assert status == 200 and session, (status, body[:500])
    status, _, page = get(port, "/", {"Cookie": f"sso=ada; commonroom_session={session}"})
    assert status == 200 and "ada" in page

    # No SSO session: the browser naming ada itself (and guessing at the secret header)
    # gets the identity provider's sign-in page, never a commonroom session.
    forged = {"X-Remote-User": "ada", "X-Commonroom-Proxy-Secret": SECRET}
    status, session, _ = get(port, "/auth/proxy", forged)
    assert session is None

    # Signed in at the SSO as someone without a role, but naming ada in the header: the
    # proxy's user counts, so it is refused as that user, not let in as ada.
    status, session, body = get(port, "/auth/proxy", {"Cookie": "sso=mallory", **forged})
    assert status == 403 and session is None, (status, body[:300])
    assert "mallory" in body and "commonroom admin grant" in body

    # Everywhere else the headers are removed before commonroom sees them.
    status, session, _ = get(port, "/", forged)
    assert status == 302 and session is None

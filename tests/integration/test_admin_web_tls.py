"""The admin web over HTTPS in the process (Poco NetSSL): with [admin-web] tls_certificate
and tls_private_key it answers only TLS (1.2 or later) with that certificate, its own
links and cookies say https, and a missing, half-given or mismatched certificate is a clear
error before anything starts. No host server is needed: the admin web answers while the
component link is still retrying."""
from __future__ import annotations

import http.client
import socket
import ssl
import subprocess

import pytest

from harness import Commonroom, CommonroomConfig, commonroom_bin, free_port, run_dir, wait_until


def make_certificate(directory, name):
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def tls_config(directory, cert, key):
    return CommonroomConfig(link_port=free_port(), muc=None,
                            extra={"admin-web": {"tls_certificate": str(cert),
                                                 "tls_private_key": str(key)}})


def https_get(port, path, cafile):
    context = ssl.create_default_context(cafile=str(cafile))
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


@pytest.fixture()
def directory(request):
    return run_dir(f"admin-web-tls-{request.node.name}")


def test_https_only_with_the_configured_certificate(directory):
    cert, key = make_certificate(directory, "admin")
    config = tls_config(directory, cert, key)
    service = Commonroom(directory, config).start()
    try:
        def healthy():
            try:
                return https_get(config.admin_port, "/healthz", cert)
            except (OSError, ssl.SSLError, http.client.HTTPException):
                return None
        status, _, body = wait_until(healthy, timeout=15, what="the admin web over HTTPS")
        # 503 "degraded": the admin web answers while the link to the (absent) host retries.
        assert status in (200, 503) and '"status"' in body, body

        # The sign-in page links back to itself over https (public_url defaults to https).
        status, _, body = https_get(config.admin_port, "/sign-in", cert)
        assert status == 200
        assert f"http://127.0.0.1:{config.admin_port}" not in body

        # A certificate the client does not trust is refused by the client, as it should be.
        other_cert, _ = make_certificate(directory, "other")
        with pytest.raises(ssl.SSLCertVerificationError):
            https_get(config.admin_port, "/healthz", other_cert)

        # TLS 1.1 is not offered.
        old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old.load_verify_locations(str(cert))
        old.minimum_version = ssl.TLSVersion.TLSv1
        old.maximum_version = ssl.TLSVersion.TLSv1_1
        with pytest.raises((ssl.SSLError, OSError)):
            with socket.create_connection(("127.0.0.1", config.admin_port), timeout=5) as raw:
                with old.wrap_socket(raw, server_hostname="127.0.0.1"):
                    pass

        # Plain HTTP on the TLS port gets no page.
        with socket.create_connection(("127.0.0.1", config.admin_port), timeout=5) as raw:
            raw.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            try:
                answer = raw.recv(4096)
            except OSError:
                answer = b""
            assert not answer.startswith(b"HTTP/1.1 200"), answer
        assert service.running()
    finally:
        service.stop()


def check_config(directory, config):
    path = directory / "check.ini"
    path.write_text(config.render())
    path.chmod(0o600)
    return subprocess.run([str(commonroom_bin()), "--config", str(path), "check-config"],
                          capture_output=True, text=True, timeout=30)


def test_a_half_given_or_unreadable_certificate_is_a_configuration_error(directory):
    cert, key = make_certificate(directory, "admin")
    half = CommonroomConfig(link_port=free_port(), muc=None,
                            extra={"admin-web": {"tls_certificate": str(cert)}})
    r = check_config(directory, half)
    assert r.returncode != 0
    assert "tls_certificate and tls_private_key go together" in r.stdout + r.stderr

    missing = tls_config(directory, directory / "nowhere.pem", key)
    r = check_config(directory, missing)
    assert r.returncode != 0
    assert "cannot read a PEM certificate" in r.stdout + r.stderr
    assert "nowhere.pem" in r.stdout + r.stderr

    assert check_config(directory, tls_config(directory, cert, key)).returncode == 0


def test_a_key_that_does_not_match_the_certificate_stops_the_start(directory):
    cert, _ = make_certificate(directory, "admin")
    _, other_key = make_certificate(directory, "other")
    service = Commonroom(directory, tls_config(directory, cert, other_key)).start()
    try:
        wait_until(lambda: not service.running(), timeout=15, what="commonroom to refuse to start")
        assert service.proc.returncode != 0
        assert "admin web cannot use the TLS certificate" in service.log_text()
        # The key's contents never reach the log.
        assert "PRIVATE KEY" not in service.log_text()
    finally:
        service.stop()

"""The commonroom command line as an operator meets it: versions, usage errors, config checks,
and `run` starting, serving the admin web and stopping cleanly on SIGTERM/SIGINT."""
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

SOURCE_DIR = Path(os.environ.get("COMMONROOM_SOURCE_DIR", Path(__file__).resolve().parents[2]))
BIN = os.environ.get("COMMONROOM_BIN") or str(
    Path(os.environ.get("COMMONROOM_BUILD_DIR", SOURCE_DIR / "build")) / "app" / "commonroom")


def project_version():
    text = (SOURCE_DIR / "CMakeLists.txt").read_text()
    return re.search(r"project\(commonroom VERSION ([0-9.]+)", text).group(1)


def commonroom(*args, env=None, timeout=30):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COMMONROOM_")}
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout,
                          env={**clean, **(env or {})})


def write(path, text, mode=0o600):
    path.write_text(text)
    path.chmod(mode)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_version_prints_the_project_version():
    result = commonroom("--version")
    assert result.returncode == 0
    assert result.stdout == f"commonroom {project_version()}\n"


def test_help_lists_the_commands():
    result = commonroom("--help")
    assert result.returncode == 0
    for word in ("run", "check-config", "migrate", "--config", "--schema", "COMMONROOM_"):
        assert word in result.stdout


@pytest.mark.parametrize("args, message", [
    ([], "no command given (run, check-config, migrate, directory, retention, hold, ban, admin or logs)"),
    (["frobnicate"], 'unknown command "frobnicate" (expected run, check-config, migrate, directory, retention, hold, ban, admin or logs)'),
    (["--verbose", "run"], "unknown option --verbose"),
    (["run", "--config"], "--config needs a value"),
    (["run", "migrate"], "only one command at a time (got run and migrate)"),
    (["--schema", "/tmp", "check-config"], "--schema only applies to migrate"),
])
def test_usage_errors_exit_2_with_a_clear_message(args, message):
    result = commonroom(*args)
    assert result.returncode == 2
    assert result.stderr == f"commonroom: {message}\nTry 'commonroom --help'.\n"
    assert result.stdout == ""


def test_check_config_accepts_a_valid_file(tmp_path):
    write(tmp_path / "muc.secret", "s3cret\n")
    config = write(tmp_path / "commonroom.ini",
                   "[links]\nport = 5347\n[muc]\ndomain = conference.cam.example\n"
                   "secret_file = muc.secret\n[admin-web]\nlisten = [::1]:8480\n"
                   "[database]\nuri = postgresql://commonroom@127.0.0.1/commonroom\n")
    result = commonroom("--config", str(config), "check-config")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{config}: OK\n"
    assert result.stderr == ""


def test_check_config_reports_every_error_with_file_line_section_and_key(tmp_path):
    config = write(tmp_path / "commonroom.ini",
                   "[links]\nport = abc\nkeepalive = 30\n[muc]\ndomain = conference.cam.example\n"
                   "secret = a\n[directory]\ndomain = conference.cam.example\nsecret = b\n"
                   "[logging]\nlevel = loud\n[extra]\n")
    result = commonroom("--config", str(config), "check-config")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f'{config}:2: [links] port: expected an integer 1-65535, got "abc"',
        f'{config}:3: [links] keepalive: unknown key; did you mean "keepalive_seconds"?',
        f'{config}:8: [directory] domain: must differ from [muc] domain (both are '
        '"conference.cam.example"); each service needs its own component domain',
        f'{config}:11: [logging] level: expected one of fatal critical error warning notice '
        'information debug trace, got "loud"',
        f"{config}:12: [extra]: unknown section (known sections: [links] [muc] [directory] "
        "[database] [admin-web] [logging] [abuse-log] [policy] [ldap])",
        f"{config}: [database]: missing; the rooms service ([muc]) logs every room for abuse "
        "handling and keeps the log in PostgreSQL, so it does not start without it. Add "
        "[database] with uri = postgresql://... (then run commonroom migrate), or, for "
        "development only, set [muc] unlogged_rooms_for_development = true",
    ]


def test_check_config_names_the_environment_variable_of_a_bad_override(tmp_path):
    config = write(tmp_path / "commonroom.ini", "[links]\nport = 5347\n")
    result = commonroom("--config", str(config), "check-config",
                        env={"COMMONROOM_LINKS_PORT": "0"})
    assert result.returncode == 1
    assert result.stderr == (f"{config}: [links] port (from COMMONROOM_LINKS_PORT): expected an "
                             'integer 1-65535, got "0"\n')


def test_check_config_warns_about_a_world_readable_secret_but_passes(tmp_path):
    write(tmp_path / "muc.secret", "s3cret\n", mode=0o644)
    config = write(tmp_path / "commonroom.ini",
                   "[muc]\ndomain = conference.cam.example\nsecret_file = muc.secret\n"
                   "[database]\nuri = postgresql://commonroom@127.0.0.1/commonroom\n")
    result = commonroom("--config", str(config), "check-config")
    assert result.returncode == 0
    assert result.stdout == f"{config}: OK\n"
    assert result.stderr.startswith(f"warning: {config}:3: [muc] secret_file: ")
    assert "is readable by every user" in result.stderr


def test_missing_config_file_exits_1(tmp_path):
    missing = tmp_path / "nope.ini"
    result = commonroom("--config", str(missing), "check-config")
    assert result.returncode == 1
    assert result.stderr == f"{missing}: cannot read the configuration file: no such file\n"


def test_run_refuses_an_invalid_config_without_starting(tmp_path):
    config = write(tmp_path / "commonroom.ini", "[links]\nport = 0\n")
    result = commonroom("--config", str(config), "run", timeout=10)
    assert result.returncode == 1
    assert "[links] port: expected an integer 1-65535" in result.stderr


ROOMS_REFUSAL = (
    "[database]: missing; the rooms service ([muc]) logs every room for abuse handling and "
    "keeps the log in PostgreSQL, so it does not start without it. Add [database] with "
    "uri = postgresql://... (then run commonroom migrate), or, for development only, set [muc] "
    "unlogged_rooms_for_development = true")


def test_run_refuses_rooms_without_a_database_naming_the_file_and_section(tmp_path):
    config = write(tmp_path / "commonroom.ini",
                   f"[links]\nport = {free_port()}\n"
                   "[muc]\ndomain = conference.cam.example\nsecret = s\n"
                   "[admin-web]\nlisten = 127.0.0.1:0\n")
    result = commonroom("--config", str(config), "run", timeout=10)
    assert result.returncode == 1
    assert result.stderr == f"{config}: {ROOMS_REFUSAL}\n"
    # check-config says the same, in the same words.
    checked = commonroom("--config", str(config), "check-config")
    assert (checked.returncode, checked.stdout, checked.stderr) == (1, "", result.stderr)


def test_check_config_passes_unlogged_rooms_for_development_with_a_warning(tmp_path):
    config = write(tmp_path / "commonroom.ini",
                   "[muc]\ndomain = conference.cam.example\nsecret = s\n"
                   "unlogged_rooms_for_development = true\n")
    result = commonroom("--config", str(config), "check-config")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{config}: OK\n"
    assert result.stderr == (
        f"warning: {config}:4: [muc] unlogged_rooms_for_development: rooms are NOT logged (no "
        "abuse log, no archive, persistent rooms lost on restart); they say so to everyone who "
        "enters. For development only, never for real users\n")


def start_service(tmp_path, listen="127.0.0.1:0"):
    """Runs `commonroom run` with the muc link pointed at a closed port (rooms unlogged, for
    development); returns the process and the admin web's port read from the log."""
    config = write(tmp_path / "commonroom.ini",
                   f"[links]\nport = {free_port()}\nbackoff_initial_ms = 100\n"
                   "[muc]\ndomain = conference.cam.example\nsecret = s\n"
                   "unlogged_rooms_for_development = true\n"
                   f"[admin-web]\nlisten = {listen}\n")
    log = open(tmp_path / "run.log", "w+")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COMMONROOM_")}
    proc = subprocess.Popen([BIN, "--config", str(config), "run"], stdout=subprocess.DEVNULL,
                            stderr=log, env=clean)
    deadline = time.time() + 15
    while time.time() < deadline:
        match = re.search(r"admin web listening on 127\.0\.0\.1:(\d+)",
                          (tmp_path / "run.log").read_text())
        if match:
            return proc, int(match.group(1))
        assert proc.poll() is None, (tmp_path / "run.log").read_text()
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("admin web did not start: " + (tmp_path / "run.log").read_text())


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_serves_health_and_stops_cleanly_on_signal(tmp_path, sig):
    proc, port = start_service(tmp_path)
    try:
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert err.value.code == 503  # the link cannot connect: nothing listens on its port
        body = err.value.read().decode()
        assert '"status":"degraded"' in body
        assert '"domain":"conference.cam.example"' in body
        assert '"rooms_unlogged":true' in body
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read().decode()
        assert "<h2>ROOMS ARE NOT LOGGED</h2>" in page
    finally:
        proc.send_signal(sig)
        assert proc.wait(timeout=15) == 0
    log = (tmp_path / "run.log").read_text()
    assert f"received {sig.name}, stopping" in log
    assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z Information app: stopped$", log,
                     re.MULTILINE), log


def test_run_fails_when_the_admin_port_is_taken(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write(tmp_path / "commonroom.ini", f"[admin-web]\nlisten = 127.0.0.1:{port}\n")
        result = commonroom("--config", str(config), "run", timeout=15)
    assert result.returncode == 1
    assert f"admin web cannot listen on 127.0.0.1:{port}" in result.stderr

"""Shared helpers for integration and e2e tests: free ports, run directories, the host
XMPP servers (Prosody, ejabberd) via scripts/lib/*.sh, the commonroom process, and slixmpp
clients.

Run with the system python (/usr/bin/python3 -m pytest): slixmpp lives there. Environment:
  COMMONROOM_BIN         the commonroom executable (default <source>/build/app/commonroom)
  COMMONROOM_SOURCE_DIR  the source tree (default: two levels above this file)
  COMMONROOM_BUILD_DIR   when set, run directories go under <build>/test-run
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Awaitable, Callable, Optional

SOURCE_DIR = Path(os.environ.get("COMMONROOM_SOURCE_DIR") or Path(__file__).resolve().parents[2])
SCRIPTS = SOURCE_DIR / "scripts" / "lib"

XMPP_DOMAIN = "cam.example"
MUC_DOMAIN = "conference.cam.example"
DIRECTORY_DOMAIN = "directory.cam.example"
MUC_SECRET = "muc-s3cret"
DIRECTORY_SECRET = "dir-s3cret"
USERS = {"alice": "alicepw", "bob": "bobpw"}

# slixmpp is chatty at INFO about every connection; tests only want its warnings.
logging.getLogger("slixmpp").setLevel(logging.WARNING)


def commonroom_bin() -> Path:
    env = os.environ.get("COMMONROOM_BIN")
    return Path(env) if env else SOURCE_DIR / "build" / "app" / "commonroom"


def _ephemeral_low() -> int:
    """Where the kernel's range of source ports for outgoing connections starts."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A loopback TCP port nobody uses right now, below the kernel's ephemeral range: a port
    the kernel picks for a listener may meanwhile become the source port of one of the
    benchmarks' thousand client connections, and the server then fails to listen on it."""
    low = _ephemeral_low()
    if low > 11000:
        for _ in range(50):
            port = random.randint(10000, low - 1)
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def run_dir(name: str) -> Path:
    """A fresh directory for one test's servers and logs, kept after the run for reading."""
    build = os.environ.get("COMMONROOM_BUILD_DIR")
    base = Path(build) / "test-run" if build else SOURCE_DIR / ".run" / "test"
    path = base / f"{name}-{os.getpid()}"
    if path.exists():
        shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    # Servers drop to their own users (prosody, ejabberd); they must be able to reach here.
    path.chmod(0o755)
    return path


SANITIZER_REPORT = re.compile(r"^(WARNING: ThreadSanitizer:|==\d+==ERROR: (Address|Leak)Sanitizer|"
                              r"ThreadSanitizer: |.*: runtime error: )", re.M)


@contextlib.contextmanager
def environment(values: dict[str, str]):
    """Sets these environment variables for the block (e.g. for a server the harness starts,
    scripts/lib/prosody.sh's PROSODY_EXTRA_CONFIG), then puts back what was there."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def sanitizer_report(text: str) -> str:
    """The first sanitizer report in a process's output (up to 6000 characters), or ''."""
    m = SANITIZER_REPORT.search(text)
    return text[max(0, m.start() - 200):m.start() + 6000] if m else ""


def sanitizer_slowdown() -> float:
    """How much longer than the release build the binary under test may take to stop: 1, or
    COMMONROOM_TIMEOUT_SCALE under ThreadSanitizer (scripts/test sets it)."""
    try:
        return max(1.0, float(os.environ.get("COMMONROOM_TIMEOUT_SCALE", "1")))
    except ValueError:
        return 1.0


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.05,
               what: str = "condition"):
    """Polls predicate until it returns something truthy; returns it or raises TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class TcpProxy:
    """A TCP proxy on loopback in front of a server, for fault tests. Every connection is
    two pumps; relay() decides what each chunk becomes: the bytes to pass on, b"" to
    swallow them, or None to cut the connection (both sides shut). `conn` is a dict per
    connection for a subclass's state."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def relay(self, data: bytes, from_client: bool, conn: dict) -> Optional[bytes]:
        return data

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream_port))
            conn: dict = {}
            for src, dst, from_client in ((client, server, True), (server, client, False)):
                threading.Thread(target=self._pump, args=(src, dst, from_client, conn),
                                 daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, from_client: bool,
              conn: dict) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                data = self.relay(data, from_client, conn)
                if data is None:
                    break
                if data:
                    dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


# --------------------------------------------------------------------------- host servers

class HostServer:
    """Prosody or ejabberd on loopback, started by scripts/lib/<kind>.sh."""

    def __init__(self, kind: str, directory: Path, domain: str = XMPP_DOMAIN,
                 components: Optional[dict[str, str]] = None,
                 users: Optional[dict[str, str]] = None):
        assert kind in ("prosody", "ejabberd"), kind
        self.kind = kind
        self.dir = directory / kind
        self.domain = domain
        self.components = components if components is not None else {
            MUC_DOMAIN: MUC_SECRET, DIRECTORY_DOMAIN: DIRECTORY_SECRET}
        self.users = users if users is not None else dict(USERS)
        self._pick_ports()
        self.script = SCRIPTS / f"{kind}.sh"

    def _pick_ports(self) -> None:
        self.c2s_port = free_port()
        self.component_port = free_port()
        while self.component_port == self.c2s_port:
            self.component_port = free_port()

    def _run(self, *args: str, timeout: float = 120) -> None:
        result = subprocess.run([str(self.script), *args], capture_output=True, text=True,
                                timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{self.script.name} {args[0]} failed ({result.returncode}):\n"
                               f"{result.stdout}{result.stderr}")

    def start(self) -> "HostServer":
        comps = " ".join(f"{d}:{s}" for d, s in self.components.items())
        users = " ".join(f"{u}:{p}" for u, p in self.users.items())

        def start_once() -> None:
            self._run("start", str(self.dir), str(self.c2s_port), str(self.component_port),
                      self.domain, comps, users)

        for _ in range(2):
            try:
                start_once()
                return self
            except RuntimeError as e:
                # Another process took a port between picking it and listening on it (tests
                # run side by side): new ports, once or twice, before giving up.
                text = str(e).lower()
                if "eaddrinuse" not in text and "already in use" not in text:
                    raise
                # The ports recorded are someone else's: start's own stop must not wait for
                # them to close (it still stops a server that started without them).
                (self.dir / "ports").unlink(missing_ok=True)
                self._pick_ports()
        start_once()
        return self

    def stop(self) -> None:
        self._run("stop", str(self.dir))

    def restart(self) -> None:
        self._run("restart", str(self.dir))

    def shell(self, *words: str) -> str:
        """One command in Prosody's admin shell, e.g. shell("module", "reload", "ping",
        "cam.example"); its answer. Raises when Prosody reports an error."""
        assert self.kind == "prosody", "only Prosody has an admin shell here"
        result = subprocess.run([str(self.script), "shell", str(self.dir), *words],
                                capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"prosodyctl shell {' '.join(words)} failed "
                               f"({result.returncode}):\n{result.stdout}{result.stderr}")
        return result.stdout

    @property
    def log_path(self) -> Path:
        if self.kind == "prosody":
            return self.dir / "prosody.log"
        return self.dir / "logs" / "ejabberd.log"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


# --------------------------------------------------------------------------- commonroom

LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z (\w+) ([\w-]+): (.*)$")


@dataclass
class LogLine:
    time: datetime
    level: str
    logger: str
    text: str


def parse_log(text: str) -> list[LogLine]:
    out = []
    for raw in text.splitlines():
        m = LOG_LINE.match(raw)
        if m:
            ts = datetime.strptime(m.group(1)[:26], "%Y-%m-%dT%H:%M:%S.%f").replace(
                tzinfo=timezone.utc)
            out.append(LogLine(ts, m.group(2), m.group(3), m.group(4)))
    return out


@dataclass
class CommonroomConfig:
    link_port: int
    link_host: str = "127.0.0.1"
    muc: Optional[tuple[str, str]] = (MUC_DOMAIN, MUC_SECRET)
    directory: Optional[tuple[str, str]] = (DIRECTORY_DOMAIN, DIRECTORY_SECRET)
    keepalive_seconds: int = 60
    backoff_initial_ms: int = 200
    backoff_max_ms: int = 5000
    database_uri: Optional[str] = None
    # Rooms without [database] only with the development setting (decision 0018): tests of
    # the component link that need no abuse log set this instead of starting PostgreSQL.
    unlogged_rooms_for_development: bool = False
    admin_port: int = field(default_factory=free_port)
    level: str = "information"
    extra: dict[str, dict[str, str]] = field(default_factory=dict)

    def render(self) -> str:
        sections: dict[str, dict[str, str]] = {
            "links": {
                "host": self.link_host,
                "port": str(self.link_port),
                "keepalive_seconds": str(self.keepalive_seconds),
                "backoff_initial_ms": str(self.backoff_initial_ms),
                "backoff_max_ms": str(self.backoff_max_ms),
            },
        }
        if self.muc:
            sections["muc"] = {"domain": self.muc[0], "secret": self.muc[1]}
            if self.unlogged_rooms_for_development:
                sections["muc"]["unlogged_rooms_for_development"] = "true"
        if self.directory:
            sections["directory"] = {"domain": self.directory[0], "secret": self.directory[1]}
        if self.database_uri:
            sections["database"] = {"uri": self.database_uri}
        sections["admin-web"] = {"listen": f"127.0.0.1:{self.admin_port}"}
        sections["logging"] = {"channel": "console", "level": self.level}
        for name, keys in self.extra.items():
            sections.setdefault(name, {}).update(keys)
        return "".join(f"[{name}]\n" + "".join(f"{k} = {v}\n" for k, v in keys.items()) + "\n"
                       for name, keys in sections.items())


class Commonroom:
    """The commonroom binary running `--config FILE run`, its log (stderr) in a file."""

    def __init__(self, directory: Path, config: CommonroomConfig, name: str = "commonroom"):
        self.dir = directory
        self.config = config
        self.config_path = directory / f"{name}.ini"
        self.log_path = directory / f"{name}.log"
        self.proc: Optional[subprocess.Popen] = None
        self._log_file = None

    def start(self) -> "Commonroom":
        binary = commonroom_bin()
        if not binary.exists():
            raise FileNotFoundError(f"commonroom binary not found at {binary} (set COMMONROOM_BIN)")
        self.config_path.write_text(self.config.render())
        self.config_path.chmod(0o600)  # it holds component secrets
        self._log_file = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(binary), "--config", str(self.config_path), "run"],
                                     stdout=self._log_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_lines(self) -> list[LogLine]:
        return parse_log(self.log_text())

    def log_mark(self) -> int:
        """A position in the log; wait_for_log(after=mark) only looks at what follows."""
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def wait_for_log(self, pattern: str, timeout: float = 10, after: int = 0,
                     count: int = 1) -> list[re.Match]:
        """Waits until `pattern` matched `count` lines written after `after`; returns them."""
        rx = re.compile(pattern)

        def found():
            if not self.running() and self.proc is not None:
                # One last read: the line may have been written just before exiting.
                matches = self._matches(rx, after)
                if len(matches) >= count:
                    return matches
                raise AssertionError(f"commonroom exited ({self.proc.returncode}) before "
                                     f"logging /{pattern}/; log:\n{self.log_text()[-3000:]}")
            matches = self._matches(rx, after)
            return matches if len(matches) >= count else None

        try:
            return wait_until(found, timeout, what=f"/{pattern}/ in {self.log_path}")
        except TimeoutError as e:
            raise AssertionError(f"{e}; log:\n{self.log_text()[-3000:]}") from None

    def _matches(self, rx: re.Pattern, after: int) -> list[re.Match]:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(after)
                text = f.read().decode(errors="replace")
        except OSError:
            return []
        return [m for m in (rx.search(line) for line in text.splitlines()) if m]

    def wait_connected(self, domains: list[str], timeout: float = 15, after: int = 0) -> None:
        for d in domains:
            self.wait_for_log(rf"{re.escape(d)}: connected to ", timeout=timeout, after=after)

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 10) -> int:
        """SIGTERM, wait; returns the exit code (SIGKILL and AssertionError on a hang).
        Raises AssertionError if a sanitizer reported anything in the log."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout * sanitizer_slowdown())
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"commonroom ignored SIGTERM for {timeout} s")
        if self._log_file:
            self._log_file.close()
            self._log_file = None
        self.check_no_sanitizer_report()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self._log_file:
            self._log_file.close()
            self._log_file = None
        self.check_no_sanitizer_report()

    def check_no_sanitizer_report(self) -> None:
        """A sanitizer build reports to stderr (this log) and, for ThreadSanitizer, goes on
        running: the report itself fails the test, whatever the test does with the exit
        code."""
        report = sanitizer_report(self.log_text())
        if report:
            raise AssertionError(f"sanitizer report in {self.log_path}:\n{report}")


# --------------------------------------------------------------------------- XMPP clients

def xmpp_session(port: int, jid: str, password: str,
                 body: Callable[["slixmpp.ClientXMPP"], Awaitable[object]],
                 timeout: float = 30, plugins: tuple[str, ...] = (
                     "xep_0030", "xep_0092", "xep_0199")) -> object:
    """Logs in through the host server's c2s port (no TLS; the test servers allow it), runs
    `await body(client)`, disconnects and returns body's result. Raises what body raised,
    or AssertionError when login fails or the session does not finish within `timeout`."""
    import slixmpp  # system python only; imported here so the module loads without it

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    client = slixmpp.ClientXMPP(jid, password)
    for p in plugins:
        client.register_plugin(p)
    outcome: dict[str, object] = {}

    async def on_start(_event):
        try:
            client.send_presence()
            outcome["value"] = await body(client)
        except BaseException as e:  # noqa: BLE001 - handed to the caller below
            outcome["error"] = e
        finally:
            client.disconnect()

    def on_failed_auth(_event):
        outcome["error"] = AssertionError(f"login as {jid} failed")
        client.disconnect()

    finished = loop.create_future()

    def on_disconnected(_event):
        if not finished.done():
            finished.set_result(None)

    client.add_event_handler("session_start", on_start)
    client.add_event_handler("failed_auth", on_failed_auth)
    client.add_event_handler("disconnected", on_disconnected)
    client.add_event_handler("connection_failed", on_disconnected)
    try:
        client.connect(("127.0.0.1", port), disable_starttls=True)
        # slixmpp 1.8's process(timeout=...) breaks on Python 3.11; drive the loop directly.
        loop.run_until_complete(asyncio.wait_for(finished, timeout))
    except asyncio.TimeoutError:
        client.abort()
    finally:
        try:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for t in pending:
                t.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        finally:
            asyncio.set_event_loop(None)
            loop.close()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    if "value" not in outcome:
        raise AssertionError(f"XMPP session as {jid} did not complete within {timeout} s")
    return outcome["value"]


async def disco_identities(client, jid: str, timeout: float = 5) -> list[tuple]:
    """(category, type, lang, name) tuples of jid's disco#info identities."""
    iq = await client["xep_0030"].get_info(jid=jid, timeout=timeout)
    return list(iq["disco_info"]["identities"])


async def disco_features(client, jid: str, timeout: float = 5) -> set[str]:
    iq = await client["xep_0030"].get_info(jid=jid, timeout=timeout)
    return set(iq["disco_info"]["features"])


async def ping(client, jid: str, timeout: float = 5) -> float:
    """Round-trip time in seconds of a XEP-0199 ping (raises on an error reply)."""
    started = time.monotonic()
    iq = client.make_iq_get(ito=jid)
    iq.enable("ping")
    await iq.send(timeout=timeout)
    return time.monotonic() - started


async def software_version(client, jid: str, timeout: float = 5) -> dict[str, str]:
    iq = await client["xep_0092"].get_version(jid, timeout=timeout)
    v = iq["software_version"]
    return {"name": v["name"], "version": v["version"], "os": v["os"]}


def run_coroutine(coro, timeout: float = 60):
    """Runs one test's asyncio conversation on a fresh event loop, then cancels whatever it
    left running (slixmpp's reader tasks) so the loop closes cleanly."""
    import asyncio
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(asyncio.wait_for(coro, timeout))
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for t in pending:
            t.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()

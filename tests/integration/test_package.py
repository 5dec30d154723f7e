"""The Debian package as an administrator meets it: built by CPack from the
build tree, unpacked into a throwaway root, its own binary and schema used for
`check-config`, `migrate` against a real PostgreSQL and `run` against a real Prosody.

The package is unpacked with dpkg-deb, not installed, so the test changes nothing on the
machine; the maintainer scripts are checked for syntax and content.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from harness import (MUC_DOMAIN, MUC_SECRET, SOURCE_DIR, Commonroom, CommonroomConfig,
                     HostServer, run_dir)
from pg_support import Cluster, psql, with_database

BUILD_DIR = Path(os.environ.get("COMMONROOM_BUILD_DIR", SOURCE_DIR / "build"))


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("package")
    built = subprocess.run(["cpack", "-G", "DEB", "--config", str(BUILD_DIR / "CPackConfig.cmake"),
                            "-B", str(out)], cwd=out, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    debs = list(out.glob("commonroom_*.deb"))
    assert len(debs) == 1, list(out.iterdir())
    return debs[0]


@pytest.fixture(scope="module")
def root(package, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("root")
    subprocess.run(["dpkg-deb", "-x", str(package), str(root)], check=True)
    return root


def field(deb: Path, name: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_the_package_depends_on_the_runtime_libraries_and_keeps_the_config(package, tmp_path):
    depends = field(package, "Depends")
    for lib in ("libpqxx-6.4", "libxerces-c3.2", "libldap-2.5-0", "libicu72", "libpoconet80",
                "adduser"):
        assert lib in depends, depends
    control = tmp_path / "control"
    subprocess.run(["dpkg-deb", "-e", str(package), str(control)], check=True)
    assert (control / "conffiles").read_text().split() == ["/etc/commonroom/commonroom.ini"]
    for script in ("postinst", "prerm", "postrm"):
        path = control / script
        assert os.access(path, os.X_OK), script
        subprocess.run(["sh", "-n", str(path)], check=True)
    postinst = (control / "postinst").read_text()
    assert "adduser --system" in postinst and "chmod 0640 /etc/commonroom/commonroom.ini" in postinst


def test_the_package_lays_out_binary_schema_unit_and_config(root):
    assert os.access(root / "usr/bin/commonroom", os.X_OK)
    shipped = sorted(p.name for p in (SOURCE_DIR / "schema").glob("*.sql"))
    assert sorted(p.name for p in (root / "usr/share/commonroom/schema").glob("*.sql")) == shipped
    unit = (root / "lib/systemd/system/commonroom.service").read_text()
    assert "ExecStart=/usr/bin/commonroom --config /etc/commonroom/commonroom.ini run" in unit
    assert "ExecReload=/bin/kill -HUP $MAINPID" in unit
    examples = root / "usr/share/doc/commonroom/examples"
    for example in ("prosody-component.cfg.lua", "ejabberd-service.yml", "nginx-admin-web.conf",
                    "apache-shibboleth-admin-web.conf"):
        assert (examples / example).read_text() == (SOURCE_DIR / "deploy" / example).read_text()
    for hardening in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                      "CapabilityBoundingSet=\n", "User=commonroom"):
        assert hardening in unit, hardening
    config = root / "etc/commonroom/commonroom.ini"
    assert oct(config.stat().st_mode & 0o777) == "0o640"
    assert config.read_text() == (SOURCE_DIR / "deploy/commonroom.ini.sample").read_text()
    # The Prosody fan-out module, where the shipped Prosody snippet tells Prosody to look.
    module = root / "usr/share/commonroom/prosody/mod_commonroom_fanout.lua"
    assert module.read_text() == (SOURCE_DIR / "deploy/prosody/mod_commonroom_fanout.lua").read_text()
    snippet = (SOURCE_DIR / "deploy/prosody-component.cfg.lua").read_text()
    assert 'plugin_paths = { "/usr/share/commonroom/prosody" }' in snippet
    assert 'modules_enabled = { "commonroom_fanout" }' in snippet


def test_the_shipped_config_names_what_the_administrator_must_still_provide(root):
    # Out of the box the sample points at secret files that do not exist yet: check-config
    # must say which, not pass or crash.
    p = subprocess.run([str(root / "usr/bin/commonroom"), "--config",
                        str(root / "etc/commonroom/commonroom.ini"), "check-config"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert "secret" in p.stderr and "/etc/commonroom/muc.secret" in p.stderr, p.stderr


def test_the_unpacked_binary_migrates_with_its_own_schema_and_joins_prosody(root, monkeypatch):
    directory = run_dir("package")
    pg = Cluster()
    pg.start()
    prosody = HostServer("prosody", directory, components={MUC_DOMAIN: MUC_SECRET}).start()
    service = None
    try:
        name = "packaged"
        psql(with_database(pg.uri, "postgres"), f"CREATE DATABASE {name}")
        uri = with_database(pg.uri, name)
        binary = root / "usr/bin/commonroom"
        ini = directory / "migrate.ini"
        ini.write_text(f"[database]\nuri = {uri}\n")
        ini.chmod(0o600)
        migrated = subprocess.run([str(binary), "--config", str(ini), "migrate"],
                                  capture_output=True, text=True, timeout=120)
        assert migrated.returncode == 0, migrated.stderr
        shipped = sorted(p.name for p in (root / "usr/share/commonroom/schema").glob("*.sql"))
        assert re.findall(r"^applied (\S+)$", migrated.stdout, re.M) == shipped, migrated.stdout

        monkeypatch.setenv("COMMONROOM_BIN", str(binary))
        config = CommonroomConfig(link_port=prosody.component_port, directory=None,
                                  database_uri=uri)
        service = Commonroom(directory, config).start()
        checked = subprocess.run([str(binary), "--config", str(service.config_path),
                                  "check-config"], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        service.wait_connected([MUC_DOMAIN], timeout=20)
        assert service.stop() == 0, service.log_text()
        service = None
    finally:
        if service is not None:
            service.kill()
        prosody.stop()
        pg.stop()

"""The host-server snippets in deploy/ work as written: Prosody and ejabberd are configured
with exactly deploy/prosody-component.cfg.lua and deploy/ejabberd-service.yml (only the
port, the secrets and, for ejabberd, the file's other listeners filled in) and commonroom's
two links connect, each getting its own domain's traffic."""
from __future__ import annotations

import re

import pytest
import yaml

from harness import (SOURCE_DIR, USERS, Commonroom, CommonroomConfig, HostServer, run_dir,
                     xmpp_session, disco_identities)

# The snippets name the University's real domains; the test servers use them as they are.
DOMAIN = "cam.ac.uk"
MUC = "conference.cam.ac.uk"
DIRECTORY = "directory.cam.ac.uk"
SECRETS = {MUC: "muc-deploy-secret", DIRECTORY: "dir-deploy-secret"}
DEPLOY = SOURCE_DIR / "deploy"


def fill_secrets(text: str) -> str:
    text = text.replace("REPLACE-with-the-content-of-/etc/commonroom/muc.secret", SECRETS[MUC])
    return text.replace("REPLACE-with-the-content-of-/etc/commonroom/directory.secret",
                        SECRETS[DIRECTORY])


def prosody_with_snippet(server: HostServer) -> None:
    """Replaces the harness's component lines with deploy/prosody-component.cfg.lua. The
    fan-out module is where the package puts it, but in a directory of the test's own."""
    snippet = fill_secrets((DEPLOY / "prosody-component.cfg.lua").read_text())
    snippet = snippet.replace("component_ports = { 5347 }",
                              f"component_ports = {{ {server.component_port} }}")
    modules = server.dir / "commonroom-prosody"
    modules.mkdir()
    (modules / "mod_commonroom_fanout.lua").write_text(
        (DEPLOY / "prosody" / "mod_commonroom_fanout.lua").read_text())
    modules.chmod(0o755)
    assert '"/usr/share/commonroom/prosody"' in snippet
    snippet = snippet.replace('"/usr/share/commonroom/prosody"', f'"{modules}"')
    part1, part2 = snippet.split("---- Part 2", 1)
    config_path = server.dir / "prosody.cfg.lua"
    generated = [line for line in config_path.read_text().splitlines()
                 if not line.startswith(("component_ports", "component_interface", "Component",
                                         "  component_secret", "  modules_enabled",
                                         "plugin_paths"))]
    at = next(i for i, line in enumerate(generated) if line.startswith("VirtualHost"))
    config_path.write_text("\n".join(generated[:at]) + "\n" + part1 + "\n" +
                           "\n".join(generated[at:]) + "\n---- Part 2" + part2)


def ejabberd_with_snippet(server: HostServer) -> None:
    """Replaces the harness's ejabberd_service listener with deploy/ejabberd-service.yml's
    and adds its modules (the multicast service the rooms fan out through)."""
    snippet = yaml.safe_load(fill_secrets((DEPLOY / "ejabberd-service.yml").read_text()))
    (listener,) = snippet["listen"]
    assert listener["global_routes"] is False
    listener["port"] = server.component_port
    config_path = server.dir / "etc" / "ejabberd.yml"
    config = yaml.safe_load(config_path.read_text())
    config["listen"] = [entry for entry in config["listen"]
                        if entry["module"] != "ejabberd_service"] + [listener]
    assert "mod_multicast" in snippet["modules"]
    config["modules"].update(snippet["modules"])
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))


@pytest.mark.parametrize("kind", ["prosody", "ejabberd"])
def test_deploy_snippet_lets_both_services_connect(kind):
    directory = run_dir(f"deploy-{kind}")
    # Started by the harness (which waits for the component port, so it needs a component),
    # then its component lines swapped for the snippet's and restarted.
    server = HostServer(kind, directory, domain=DOMAIN,
                        components={f"harness.{DOMAIN}": "unused"}).start()
    try:
        (prosody_with_snippet if kind == "prosody" else ejabberd_with_snippet)(server)
        server.restart()
        config = CommonroomConfig(link_port=server.component_port, muc=(MUC, SECRETS[MUC]),
                                  directory=(DIRECTORY, SECRETS[DIRECTORY]),
                                  unlogged_rooms_for_development=True)
        service = Commonroom(directory, config).start()
        try:
            service.wait_connected([MUC, DIRECTORY], timeout=30)

            async def ask(client):
                return (await disco_identities(client, MUC),
                        await disco_identities(client, DIRECTORY))

            rooms, people = xmpp_session(server.c2s_port, f"alice@{DOMAIN}", USERS["alice"], ask)
            # global_routes: false: each domain answers from its own service.
            assert any(category == "conference" for category, *_ in rooms), rooms
            assert any(category == "directory" for category, *_ in people), people
            assert not re.search(r"authentication failed|not-authorized", service.log_text())
            # The snippet loads commonroom's fan-out module on the rooms' component (Prosody)
            # or the multicast service the rooms find and use (ejabberd).
            service.wait_for_log(rf"{re.escape(MUC)}: the host server fans out for us")
            # And on the directory's component, where it carries pages of people (Prosody;
            # ejabberd has no such module, and its directory sends answers as they are).
            carries = rf"{re.escape(DIRECTORY)}: the host server carries large answers"
            if kind == "prosody":
                service.wait_for_log(carries)
            else:
                assert not re.search(carries, service.log_text())
        finally:
            assert service.stop() == 0
    finally:
        server.stop()

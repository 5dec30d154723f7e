"""The Prosody module's carried answers (decision 0084), checked in Lua against Prosody's own
libraries (util.stanza, util.xml, util.encodings) with a stand-in for its module API: the
answer reaches the recipient with the content that crossed the link, a copy (as mod_smacks
keeps for resending) carries it too, a handler that adds a child gets the content parsed
ahead of it, only the component can have an answer carried, and unloading the module keeps
what is still waiting. A batch (decision 0086: a newcomer's roster as one text) is routed
as one stanza per presence, in order, each with its top tag's attributes (escaped values
read back) and its content as it came; a top tag commonroom would not write is parsed as
XML instead; only the component may send one. Loaded on two components (the rooms and the directory), reloaded and
unloaded in any order, one set of util.stanza wrappers serves both and Prosody's own
functions come back with the last unload. The same path through a running Prosody, with real clients, is in
tests/e2e/test_directory_search.py."""
from __future__ import annotations

import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODULE = HERE.parents[1] / "deploy" / "prosody" / "mod_commonroom_fanout.lua"


def test_carried_answers_in_prosodys_own_stanza_library():
    out = subprocess.run(["lua5.4", str(HERE / "fanout_module_carry.lua"), str(MODULE)],
                         capture_output=True, text=True, timeout=60)
    lines = out.stdout.splitlines()
    failed = [l for l in lines if not l.startswith("ok ")]
    assert out.returncode == 0 and not failed, out.stdout + out.stderr
    assert len(lines) >= 33, out.stdout

"""The configuration reference says exactly what the binary reads: every key
`commonroom check-config --keys` lists is documented, and every key the reference documents
exists. Keys are documented where their feature is explained; this file maps each section to
its page and heading."""
from __future__ import annotations

import re
import subprocess

from harness import SOURCE_DIR, commonroom_bin

DOCS = SOURCE_DIR / "docs"
# section -> the (page, heading) parts that document its keys
WHERE = {
    "links": [("configuration.md", "## `[links]`")],
    "muc": [("configuration.md", "## `[muc]`")],
    "directory": [("configuration.md", "## `[muc]`"),
                  ("directory-search.md", "## Configuration: search keys of `[directory]`")],
    "database": [("configuration.md", "## `[database]`")],
    "admin-web": [("configuration.md", "## `[admin-web]`")],
    "logging": [("configuration.md", "## `[logging]`")],
    "abuse-log": [("abuse-log.md", "## Configuration")],
    "policy": [("policies.md", "## Keys")],
    "ldap": [("directory.md", "### Configuration: `[ldap]`")],
}


def code_keys() -> dict[str, set[str]]:
    out = subprocess.run([str(commonroom_bin()), "check-config", "--keys"], capture_output=True,
                         text=True, timeout=30, check=True).stdout
    keys: dict[str, set[str]] = {}
    for line in out.splitlines():
        section, key = re.fullmatch(r"\[([a-z-]+)\] (\S+)", line).groups()
        keys.setdefault(section, set()).add(key)
    return keys


def part(page: str, heading: str) -> str:
    """The text under `heading` up to the next heading of the same or a higher level."""
    text = (DOCS / page).read_text(encoding="utf-8")
    start = text.index(heading)
    level = heading.split(" ")[0]
    rest = text[start + len(heading):]
    end = re.search(rf"^#{{1,{len(level)}}} ", rest, re.M)
    return rest[:end.start()] if end else rest


def documented(text: str) -> set[str]:
    """Keys a part documents: backticked names in a table's first column, and `key =` lines
    of an ini example."""
    keys = set()
    for row in re.findall(r"^\|([^|\n]*)\|", text, re.M):
        keys.update(re.findall(r"`([a-z_][a-z0-9_.<>-]*)`", row))
    keys.update(re.findall(r"^([a-z_][a-z0-9_.]*)\s*=", text, re.M))
    return keys


def test_every_section_the_binary_reads_has_a_documented_home():
    assert set(code_keys()) == set(WHERE)


def test_every_key_the_binary_reads_is_documented():
    missing = []
    for section, keys in code_keys().items():
        docs = set().union(*(documented(part(page, heading)) for page, heading in WHERE[section]))
        where = " or ".join(f"docs/{page} under {heading}" for page, heading in WHERE[section])
        for key in sorted(keys):
            # level.<logger> and attr.<field> families are documented by their pattern.
            family = re.sub(r"^(level|attr)\..*$", r"\1.<", key)
            if key not in docs and not any(d.startswith(family) for d in docs
                                           if family.endswith("<")):
                missing.append(f"[{section}] {key} (expected in {where})")
    assert not missing, "undocumented keys:\n" + "\n".join(missing)


def test_every_documented_key_exists():
    keys = code_keys()
    # A part may document several sections ([muc] and [directory] share one).
    readers: dict[tuple[str, str], set[str]] = {}
    for section, parts in WHERE.items():
        for where in parts:
            readers.setdefault(where, set()).add(section)
    unknown = []
    for (page, heading), sections in readers.items():
        names = set().union(*(keys[s] for s in sections))
        for key in sorted(documented(part(page, heading))):
            if key in names or re.match(r"^(level|attr)\.<", key):
                continue
            unknown.append(f"docs/{page} {heading}: `{key}` is not a key of "
                           + " or ".join(f"[{s}]" for s in sorted(sections)))
    assert not unknown, "documented keys the binary does not read:\n" + "\n".join(unknown)

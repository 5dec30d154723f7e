"""Client compatibility suite through Prosody (issue 10): three client stacks × every flow,
20 rounds reusing one room name, and the client differences (see compat_run.py)."""
from compat_run import make_fixtures, test_flow  # noqa: F401 - collected by pytest

servers = make_fixtures("prosody")

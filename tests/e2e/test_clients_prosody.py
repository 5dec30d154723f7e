"""Client compatibility suite through Prosody: three client stacks × every flow,
20 rounds reusing one room name, and the client differences (see compat_run.py)."""
from compat_run import (make_fixtures, test_client_difference,  # noqa: F401 - collected
                         test_flow, test_reused_room_name)

servers = make_fixtures("prosody")

"""Named crash points, so tests can kill a real process at an exact step.

Set ``SHOP_CRASH_AT`` to a point's name and the process SIGKILLs itself the
``SHOP_CRASH_AFTER``-th time (default: first) it passes there: no cleanup, no
commit, no flush, exactly as a killed pod or a power cut would leave it.
"""

import os
import signal

_passes: dict[str, int] = {}


def crash_point(name: str) -> None:
    if os.environ.get("SHOP_CRASH_AT") != name:
        return
    _passes[name] = _passes.get(name, 0) + 1
    if _passes[name] >= int(os.environ.get("SHOP_CRASH_AFTER", "1")):
        os.kill(os.getpid(), signal.SIGKILL)

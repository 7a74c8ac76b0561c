"""Emptied: the use cases live in accounts, addresses, codes, keys, tokens and sessions.

Kept only because ``user/notifications.py`` (being rewritten with the runtime's job loop)
still imports ``now`` from here; delete this module once it imports
``service_runtime.ids.utcnow`` itself.
"""

from service_runtime.ids import utcnow as now

__all__ = ["now"]

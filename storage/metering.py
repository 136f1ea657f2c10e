"""Counts what the benchmark reads from a running bot: SQLite round trips per update, Argon2 operations.

Off unless ENTBOT_METER_FILE names a file; then the counts are written there as JSON when the process
ends. The bot's own code calls the two `count_*` functions; they cost one branch when metering is off.
"""

from __future__ import annotations

import atexit
import json
import os
from contextvars import ContextVar
from pathlib import Path
from typing import Any

CURRENT_UPDATE: ContextVar[int | None] = ContextVar("current_update", default=None)

_FILE = os.environ.get("ENTBOT_METER_FILE")
ENABLED = bool(_FILE)

_sql_by_update: dict[int, int] = {}
_counts = {"sql_outside_updates": 0, "argon2": 0, "updates": 0}


def count_sql() -> None:
    """One round trip to SQLite's thread (aiosqlite hops there for every call)."""
    if not ENABLED:
        return
    update_id = CURRENT_UPDATE.get()
    if update_id is None:
        _counts["sql_outside_updates"] += 1
    else:
        _sql_by_update[update_id] = _sql_by_update.get(update_id, 0) + 1


def count_argon2() -> None:
    if ENABLED:
        _counts["argon2"] += 1


def count_update() -> None:
    if ENABLED:
        _counts["updates"] += 1


def snapshot() -> dict[str, Any]:
    return {**_counts, "sql_by_update": {str(k): v for k, v in _sql_by_update.items()}}


def _write() -> None:
    if _FILE:
        Path(_FILE).write_text(json.dumps(snapshot()), encoding="utf-8")


if ENABLED:
    atexit.register(_write)

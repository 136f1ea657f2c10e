"""A database as an older version of the bot left it: the shipped migrations applied up to, not including, one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage.db import _statements, migrations


def database_before(path: Path, version: int) -> sqlite3.Connection:
    """The file at `path` with every migration older than `version` applied and recorded, open for the test to fill."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                 " applied_at TEXT NOT NULL)")
    for number, name, sql in migrations():
        if number < version:
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, '2026-01-01T00:00:00+00:00')", (number, name))
    return conn

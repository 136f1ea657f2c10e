"""`entbot migrate-db`: a SQLite deployment copied into PostgreSQL in one transaction, every table's rows counted."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import psycopg

from storage.db import Database
from storage.postgres import PostgresDatabase, shown


class TargetNotEmpty(Exception):
    """The PostgreSQL database already holds rows: copying would mix two deployments."""

    def __init__(self, rows: dict[str, int]) -> None:
        super().__init__(f"{sum(rows.values())} rows")
        self.rows = rows


class CopyFailed(Exception):
    """The copy stopped (a row PostgreSQL refused, the counts differ): nothing was written."""


@dataclass
class Copied:
    """Rows per table, in the SQLite file and in PostgreSQL once copied (equal, or nothing was committed)."""

    tables: dict[str, tuple[int, int]] = field(default_factory=dict)
    replaced: int = 0  # rows the target held before, removed (--replace)

    @property
    def total(self) -> int:
        return sum(source for source, _ in self.tables.values())


async def prepare(source: Path, url: str) -> None:
    """Both schemas brought to the code's, as `entbot run` would: the file first, then the server's tables."""
    for db in (Database(source), PostgresDatabase(url, source)):
        await db.open()  # migrates (or refuses a database newer than the code: DatabaseTooNew)
        await db.close()


def _tables(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """The file's tables and their columns, parents before the tables that reference them (foreign keys)."""
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        " AND name != 'schema_migrations' ORDER BY name")]
    graph = {name: {r[2] for r in conn.execute(f"PRAGMA foreign_key_list({name})") if r[2] != name} for name in names}
    ordered = list(TopologicalSorter(graph).static_order())
    return {name: [r[1] for r in conn.execute(f"PRAGMA table_info({name})")] for name in ordered}


def _counts(pg: psycopg.Connection[Any], tables: list[str]) -> dict[str, int]:
    return {t: int(pg.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in tables}  # type: ignore[index]


def copy(source: Path, url: str, replace: bool = False) -> Copied:
    """Every row of every table of `source` into `url`, in one PostgreSQL transaction: all of it, or nothing.

    Run `prepare` first (both schemas the code's). A target with rows is refused unless `replace`, which empties
    it first (in the same transaction). The counts are compared before the COMMIT.
    """
    done = Copied()
    lite = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        lite.execute("BEGIN")  # one snapshot of the file, whatever happens beside (the bot is stopped anyway)
        tables = _tables(lite)
        with psycopg.connect(url, connect_timeout=10) as pg:  # not autocommit: one transaction, rolled back on error
            present = {r[0] for r in pg.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
            missing = sorted(set(tables) - present)
            if missing:
                raise CopyFailed(f"tables absentes de PostgreSQL : {', '.join(missing)}")
            before = _counts(pg, list(tables))
            if any(before.values()):
                if not replace:
                    raise TargetNotEmpty({t: n for t, n in before.items() if n})
                pg.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
                done.replaced = sum(before.values())
            try:
                for table, columns in tables.items():
                    names = ", ".join(columns)
                    with pg.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as into:
                        for row in lite.execute(f"SELECT {names} FROM {table}"):
                            into.write_row(row)
                    if "id" in columns:  # the next id PostgreSQL hands out comes after the copied ones
                        pg.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                                   f" COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)")
            except psycopg.Error as exc:
                raise CopyFailed(f"{table} : {str(exc).strip().splitlines()[0]}") from None
            after = _counts(pg, list(tables))
            for table in tables:
                (n,) = lite.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
                done.tables[table] = (int(n), after[table])
            wrong = [t for t, (a, b) in done.tables.items() if a != b]
            if wrong:
                raise CopyFailed(f"nombres de lignes différents : {', '.join(wrong)}")
            pg.commit()
    except psycopg.OperationalError as exc:
        raise CopyFailed(f"PostgreSQL injoignable à {shown(url)} : {str(exc).strip().splitlines()[0]}") from None
    finally:
        lite.close()
    return done

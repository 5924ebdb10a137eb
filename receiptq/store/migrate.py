"""Versioned SQL migrations, applied in order, once each.

Safe when several processes run it at the same moment (API and worker starting together):
a transaction-level advisory lock serialises them and the second finds nothing to do.
"""

from __future__ import annotations

from importlib import resources

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

_LOCK_ID = 0x72656365  # "rece"


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every file in receiptq/store/migrations, in order."""
    found = []
    for entry in resources.files("receiptq.store.migrations").iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def ensure_database(database_url: str) -> bool:
    """Create the database named in the URL when it does not exist. True if created."""
    params = conninfo_to_dict(database_url)
    name = params.get("dbname")
    if not name:
        return False
    try:
        psycopg.connect(database_url, connect_timeout=5).close()
        return False
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    admin = make_conninfo(database_url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(str(name))))
        except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
            return False
    return True


def upgrade(database_url: str) -> list[str]:
    """Apply pending migrations; return the names applied (empty when up to date)."""
    ensure_database(database_url)
    applied: list[str] = []
    with psycopg.connect(database_url, connect_timeout=5) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        for version, name, text in migrations():
            if version in done:
                continue
            conn.execute(text)
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                (version, name),
            )
            applied.append(name)
    return applied

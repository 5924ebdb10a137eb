"""PostgreSQL connections: one pool per process, opened lazily."""

from __future__ import annotations

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool


def create_pool(database_url: str, max_size: int = 10) -> ConnectionPool:
    """A pool that opens its connections on first use, so creating it never blocks on a
    database that is still starting; callers see psycopg.OperationalError instead."""
    return ConnectionPool(
        database_url,
        min_size=1,
        max_size=max_size,
        kwargs={"row_factory": dict_row, "autocommit": False},
        open=False,
        timeout=5.0,
        # A connection broken by a database restart is replaced instead of failing a job.
        check=ConnectionPool.check_connection,
        name="receiptq",
    )


def ensure_open(pool: ConnectionPool) -> ConnectionPool:
    if pool.closed:
        pool.open(wait=False)
    return pool

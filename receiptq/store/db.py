"""PostgreSQL connections: one pool per process, opened lazily."""

from __future__ import annotations

from typing import TypeVar

from psycopg import Connection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool

#: A connection whose rows are dicts (column name -> value), to the type checker as at run
#: time: every connection of the pool has `dict_row` as its row factory.
DictConnection = Connection[DictRow]
Pool = ConnectionPool[DictConnection]
Row = TypeVar("Row")


def create_pool(database_url: str, max_size: int = 10) -> Pool:
    """A pool that opens its connections on first use, so creating it never blocks on a
    database that is still starting; callers see psycopg.OperationalError instead."""
    return ConnectionPool(
        database_url,
        connection_class=DictConnection,
        min_size=1,
        max_size=max_size,
        kwargs={"row_factory": dict_row, "autocommit": False},
        open=False,
        timeout=5.0,
        # A connection broken by a database restart is replaced instead of failing a job.
        check=ConnectionPool.check_connection,
        name="receiptq",
    )


def required(row: Row | None) -> Row:
    """The row of a statement that always returns one (INSERT ... RETURNING, a count, a
    row this transaction holds locked); a missing one is a bug, raised as LookupError."""
    if row is None:
        raise LookupError("the statement returned no row")
    return row


def ensure_open(pool: Pool) -> Pool:
    if pool.closed:
        pool.open(wait=False)
    return pool

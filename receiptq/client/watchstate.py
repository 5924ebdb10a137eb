"""What `receiptq watch` remembers across restarts: one row per file content (SHA-256)
with the job the API made for it, in a small SQLite file inside the watched folder.

The folder carries its own state, so a watcher restarted (or moved to another host with
the folder) neither uploads a file again nor loses a job it was waiting for.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

FILENAME = ".receiptq-watch.sqlite"
PENDING, DONE, FAILED = "pending", "done", "failed"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    sha256   TEXT PRIMARY KEY,
    job_id   TEXT NOT NULL,
    name     TEXT NOT NULL,
    status   TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    updated  TEXT NOT NULL DEFAULT (datetime('now'))
)
"""


@dataclass(frozen=True)
class Known:
    sha256: str
    job_id: str
    name: str
    status: str  # pending, done or failed
    attempts: int  # jobs made for these bytes (a failed file dropped again is retried)


class WatchState:
    def __init__(self, folder: Path) -> None:
        self.path = folder / FILENAME
        self.db = sqlite3.connect(self.path, isolation_level=None)  # autocommit: each write lands
        self.db.execute(_SCHEMA)

    def get(self, sha256: str) -> Known | None:
        row = self.db.execute(
            "SELECT sha256, job_id, name, status, attempts FROM files WHERE sha256 = ?",
            (sha256,),
        ).fetchone()
        return Known(*row) if row else None

    def pending(self) -> list[Known]:
        rows = self.db.execute(
            "SELECT sha256, job_id, name, status, attempts FROM files WHERE status = ?",
            (PENDING,),
        ).fetchall()
        return [Known(*row) for row in rows]

    def submitted(self, sha256: str, job_id: str, name: str, attempts: int) -> None:
        self.db.execute(
            "INSERT INTO files (sha256, job_id, name, status, attempts) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (sha256) DO UPDATE SET job_id = excluded.job_id, name = excluded.name,"
            " status = excluded.status, attempts = excluded.attempts, updated = datetime('now')",
            (sha256, job_id, name, PENDING, attempts),
        )

    def finished(self, job_id: str, status: str) -> None:
        self.db.execute(
            "UPDATE files SET status = ?, updated = datetime('now') WHERE job_id = ?",
            (status, job_id),
        )

    def close(self) -> None:
        self.db.close()

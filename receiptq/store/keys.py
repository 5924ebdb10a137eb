"""Users and API keys. Only a SHA-256 of each key is stored: keys are 256 random bits, so a
plain hash is enough (no slow KDF needed) and lookups stay one index probe."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from receiptq.store.db import Pool, required

KEY_PREFIX = "rq_"


@dataclass(frozen=True)
class User:
    id: str
    name: str


def hash_key(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def create_key(pool: Pool, user_name: str) -> tuple[User, str]:
    """Create the user if needed and a new key for it; return the user and the plain key."""
    key = new_key()
    with pool.connection() as conn:
        row = required(
            conn.execute(
                "INSERT INTO users (name) VALUES (%s) ON CONFLICT (name) DO UPDATE SET name ="
                " EXCLUDED.name RETURNING id::text, name",
                (user_name,),
            ).fetchone()
        )
        conn.execute(
            "INSERT INTO api_keys (user_id, key_hash, prefix) VALUES (%s, %s, %s)",
            (row["id"], hash_key(key), key[:10]),
        )
    return User(row["id"], row["name"]), key


def revoke_key(pool: Pool, key_or_prefix: str) -> int:
    """Revoke a key given in full or by its printed prefix; returns how many were revoked."""
    with pool.connection() as conn:
        cur = conn.execute(
            "UPDATE api_keys SET revoked_at = now() WHERE revoked_at IS NULL"
            " AND (key_hash = %s OR prefix = %s)",
            (hash_key(key_or_prefix), key_or_prefix),
        )
        return cur.rowcount


def user_for_key(pool: Pool, key: str) -> User | None:
    digest = hash_key(key)
    with pool.connection() as conn:
        row = conn.execute(
            "SELECT u.id::text AS id, u.name, k.key_hash FROM api_keys k JOIN users u"
            " ON u.id = k.user_id WHERE k.key_hash = %s AND k.revoked_at IS NULL",
            (digest,),
        ).fetchone()
    if row is None or not hmac.compare_digest(bytes(row["key_hash"]), digest):
        return None
    return User(row["id"], row["name"])

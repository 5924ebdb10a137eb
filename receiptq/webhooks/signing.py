"""Signing and verifying a delivery the Standard Webhooks way (the package docstring has
the headers and the key's form)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"
USER_AGENT = "receiptq-webhooks/1"


def signing_key(secret: str) -> bytes:
    """`whsec_<base64>` -> the decoded bytes; any other secret -> its UTF-8 bytes."""
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except binascii.Error as exc:
            raise ValueError("RECEIPTQ_WEBHOOK_SECRET: what follows whsec_ is not base64") from exc
    return secret.encode("utf-8")


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(
    secret: str, message_id: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, tolerance_seconds: int = 300
) -> bool:
    """What a receiver does: recompute the signature and compare in constant time; refuse
    timestamps more than `tolerance_seconds` away (replays). Any of several space-separated
    signatures may match (the spec allows several during a secret rotation)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    message_id = lowered.get("webhook-id", "")
    try:
        timestamp = int(lowered.get("webhook-timestamp", ""))
    except ValueError:
        return False
    if not message_id or abs(time.time() - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret, message_id, timestamp, body)
    return any(
        hmac.compare_digest(candidate, expected)
        for candidate in lowered.get("webhook-signature", "").split()
    )

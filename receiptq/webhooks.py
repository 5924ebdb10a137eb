"""Webhooks: when a job with a `callback_url` ends, POST its final status, signed the
Standard Webhooks way (https://www.standardwebhooks.com/).

Headers: `webhook-id` (one per message, the same on every retry), `webhook-timestamp`
(Unix seconds of this attempt) and `webhook-signature`: `v1,` + base64 of
HMAC-SHA256(key, f"{id}.{timestamp}.{body}"). The key is RECEIPTQ_WEBHOOK_SECRET: a
`whsec_<base64>` secret is base64-decoded (as the spec says); any other string is used as
its UTF-8 bytes.

The Celery task (receiptq/tasks/webhooks.py) retries with exponential backoff and jitter:
a 2xx ends it, 410 Gone stops it for good, other statuses, timeouts and connection errors
are tried again, up to RECEIPTQ_WEBHOOK_MAX_ATTEMPTS attempts.

Server-side request forgery: unless RECEIPTQ_WEBHOOK_ALLOW_PRIVATE is on, a callback URL
must point at the public internet. At submit, a literal IP or every address the host
resolves to must be global (not loopback, private, link-local such as the cloud metadata
169.254.169.254, unique-local, shared, reserved, multicast or unspecified, nor an IPv6 form
of such an IPv4 address); at delivery the host is resolved again, checked again (DNS
rebinding) and the request is sent to the very address that was checked.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import json
import logging
import random
import socket
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Literal

import httpx
from receiptq import jobs
from receiptq.config import Settings
from receiptq.context import Context
from receiptq.errors import Unprocessable
from receiptq.lifecycle import JobStatus
from receiptq.store import webhooks as webhook_store

log = logging.getLogger(__name__)

MAX_URL_LENGTH = 2048
SECRET_PREFIX = "whsec_"
USER_AGENT = "receiptq-webhooks/1"
Outcome = Literal["delivered", "gone", "retry", "failed", "dropped"]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: How host names are looked up: `socket.getaddrinfo`'s signature (tests pass their own).
Resolve = Callable[..., list]
# IPv6 forms whose low 32 bits are an IPv4 address the packet reaches: IPv4-mapped,
# IPv4-translated (RFC 2765), IPv4-compatible (deprecated, ::a.b.c.d) and NAT64 (RFC 6052).
_EMBEDS_IPV4_LOW32 = tuple(
    ipaddress.ip_network(net)
    for net in ("::ffff:0:0/96", "::ffff:0:0:0/96", "::/96", "64:ff9b::/96")
)
# Never a callback's address, whatever they carry: local-use NAT64 (RFC 8215), Teredo.
_NEVER_PUBLIC_V6 = tuple(ipaddress.ip_network(net) for net in ("64:ff9b:1::/48", "2001::/32"))


# --- the callback URL ---


class NotPublic(Exception):
    """A callback host that is, or resolves to, an address webhooks must not reach."""


class Unresolved(NotPublic):
    """A callback host name that does not resolve (now)."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, translated, compatible, NAT64,
    6to4), else None."""
    if any(ip in net for net in _EMBEDS_IPV4_LOW32):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def is_public(ip: IPAddress) -> bool:
    """Plainly public unicast, else False. IPv4: `is_global` (not loopback, private,
    link-local, shared 100.64/10, documentation, reserved...), neither multicast nor
    unspecified. IPv6: an address carrying an IPv4 one is judged by that IPv4 address;
    otherwise `is_global` and not reserved, multicast, unspecified, local NAT64 or Teredo."""
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in net for net in _NEVER_PUBLIC_V6):
            return False
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return is_public(embedded)
        if ip.is_reserved:
            return False
    return ip.is_global and not ip.is_multicast and not ip.is_unspecified


def _literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def public_addresses(
    host: str,
    port: int,
    resolve: Resolve = socket.getaddrinfo,
    public: Callable[[IPAddress], bool] = is_public,
) -> list[str]:
    """The addresses `host` stands for, all `public`, or NotPublic (with the reason). A
    literal IP is not looked up; a name goes through `resolve`."""
    literal = _literal_ip(host)
    if literal is not None:
        if not public(literal):
            raise NotPublic(f"{literal} is not a public address")
        return [str(literal)]
    try:
        infos = resolve(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unresolved(f"{host} does not resolve") from exc
    addresses: list[str] = []
    for *_, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if not public(ip):
            raise NotPublic(f"{host} resolves to {ip}, which is not a public address")
        if str(ip) not in addresses:
            addresses.append(str(ip))
    if not addresses:
        raise Unresolved(f"{host} does not resolve")
    return addresses


def check_callback_url(
    value: str | None, *, allow_private: bool = False, resolve: Resolve = socket.getaddrinfo
) -> str | None:
    """The submitted callback URL, or None when the field is absent or empty. Only http and
    https, an absolute URL with a host and no user:password@, at most 2048 characters, and
    (unless `allow_private`, RECEIPTQ_WEBHOOK_ALLOW_PRIVATE) a host that is or resolves
    (`resolve`) only to public addresses; anything else is a 422."""
    if value is None or not value.strip():
        return None
    url = value.strip()
    if len(url) > MAX_URL_LENGTH:
        raise Unprocessable(f"callback_url is longer than {MAX_URL_LENGTH} characters.")
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise Unprocessable("callback_url must not contain spaces or control characters.")
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError as exc:
        raise Unprocessable("callback_url is not a valid URL.") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise Unprocessable("callback_url must be an http or https URL.")
    if not parts.hostname:
        raise Unprocessable("callback_url must be an absolute URL with a host.")
    if "@" in parts.netloc:
        raise Unprocessable("callback_url must not contain a user name or password (user:pass@).")
    if not allow_private:
        default_port = 443 if parts.scheme.lower() == "https" else 80
        try:
            public_addresses(parts.hostname, parts.port or default_port, resolve)
        except NotPublic as exc:
            raise Unprocessable(
                f"callback_url must point at a public internet address: {exc}"
                " (loopback, private, link-local, unique-local, multicast and unspecified"
                " addresses are refused)."
            ) from exc
    return url


# --- signing (Standard Webhooks) ---


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


# --- scheduling and delivery ---


def backoff_seconds(retries: int, base: float, cap: float) -> float:
    """Delay before attempt `retries + 2`: base * 4**retries, capped, with "equal jitter"
    (a random point in the upper half), so receivers that were down are not hit by every
    sender at the same instant. Defaults (5 s, cap 30 min): ~5 s, 20 s, 80 s, 5 min,
    21 min, then 30 min."""
    delay = min(cap, base * 4**retries)
    return random.uniform(delay / 2, delay)


def pinned_request(
    url: str,
    allow_private: bool,
    resolve: Resolve = socket.getaddrinfo,
    public: Callable[[IPAddress], bool] = is_public,
) -> tuple[httpx.URL, dict[str, str], dict]:
    """Where to send a delivery: (URL, extra headers, httpx request extensions).

    DNS rebinding: the name was public at submit, but may resolve elsewhere now. So the
    host is resolved and checked right here (NotPublic if any address is not public),
    and the request goes to that checked IP rather than letting httpx resolve the name a
    second time: the URL's host becomes the IP, the Host header keeps the name, and for
    https the TLS SNI and certificate check use the name (httpcore's `sni_hostname`).
    With `allow_private` the URL is used as it is."""
    target = httpx.URL(url)
    if allow_private:
        return target, {}, {}
    host = target.raw_host.decode("ascii")  # IDNA-encoded already
    port = target.port or (443 if target.scheme == "https" else 80)
    address = public_addresses(host, port, resolve, public)[0]
    if _literal_ip(host) is not None:
        return target, {}, {}
    extensions = {"sni_hostname": host} if target.scheme == "https" else {}
    return target.copy_with(host=address), {"host": target.netloc.decode("ascii")}, extensions


def deliver(ctx: Context, message_id: str, *, last_attempt: bool) -> Outcome:
    """One attempt. Returns 'retry' when the task should try again later; anything else
    is final (and recorded)."""
    delivery = webhook_store.get(ctx.pool, message_id)
    if delivery is None:
        return "dropped"
    if delivery["state"] != "pending":  # a redelivered task: already settled
        return delivery["state"]
    status = jobs.job_view(ctx, delivery["job_id"])
    if status is None or status["status"] == JobStatus.DELETED:
        # Deleted since (a privacy request): nothing about it is sent any more.
        webhook_store.record(ctx.pool, message_id, "dropped", attempted=False, error="deleted")
        return "dropped"
    outcome, record = attempt(
        ctx.settings,
        message_id,
        delivery["url"],
        status,
        last_attempt=last_attempt,
        job_id=delivery["job_id"],
    )
    webhook_store.record(ctx.pool, message_id, **record)
    return outcome


def attempt(
    settings: Settings,
    message_id: str,
    url: str,
    status: Mapping,
    *,
    last_attempt: bool,
    job_id: str | None = None,
    resolve: Resolve = socket.getaddrinfo,
    transport: httpx.BaseTransport | None = None,
) -> tuple[Outcome, dict]:
    """One attempt to POST a job's ``status`` to ``url``: the outcome, and what to record
    of it (`receiptq.store.webhooks.record`'s arguments). ``resolve`` looks the host up,
    ``transport`` sends (httpx's own by default)."""
    extra = {"job_id": job_id, "webhook_id": message_id}
    secret = settings.webhook_secret
    if not secret:
        log.error("webhook not sent: RECEIPTQ_WEBHOOK_SECRET is not set", extra=extra)
        return "failed", {"state": "failed", "attempted": False, "error": "no secret"}
    body = json.dumps(status, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers = signed_headers(secret, message_id, body)
    code: int | None = None
    try:
        target, extra_headers, extensions = pinned_request(
            url, settings.webhook_allow_private, resolve
        )
    except Unresolved as exc:  # DNS down or the name gone: maybe temporary, try again
        error = f"Unresolved: {exc}"
    except NotPublic as exc:  # a name that now points inside (DNS rebinding): never sent
        reason = f"callback host is not public: {exc}"
        log.error("webhook not sent: %s", reason, extra=extra)
        return "failed", {"state": "failed", "attempted": False, "error": reason}
    else:
        try:
            with httpx.Client(
                timeout=settings.webhook_timeout_seconds,
                follow_redirects=False,
                transport=transport,
            ) as client:
                response = client.post(
                    target,
                    content=body,
                    headers={**headers, **extra_headers},
                    extensions=extensions,
                )
            code = response.status_code
            error = None if 200 <= code < 300 else f"HTTP {code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
    if code is not None and 200 <= code < 300:
        outcome: Outcome = "delivered"
    elif code == 410:
        outcome = "gone"
    else:
        outcome = "failed" if last_attempt else "retry"
    state = "pending" if outcome == "retry" else outcome
    level = logging.INFO if outcome in ("delivered", "gone") else logging.WARNING
    log.log(level, "webhook %s (%s)", outcome, error or code, extra=extra)
    return outcome, {"state": state, "attempted": True, "status": code, "error": error}

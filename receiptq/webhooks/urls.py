"""Callback URLs: what a submitted one may be, and the checked address a delivery is sent
to (server-side request forgery and DNS rebinding: see the package docstring)."""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse
from collections.abc import Callable

import httpx

from receiptq.errors import Unprocessable

MAX_URL_LENGTH = 2048
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

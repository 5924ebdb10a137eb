"""Callback URLs and server-side request forgery: only public addresses, at submit and
again right before each delivery (DNS rebinding), unless RECEIPTQ_WEBHOOK_ALLOW_PRIVATE.
No test here uses real DNS: the checks are given a resolver of their own."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import httpx
import pytest

from receiptq.errors import Unprocessable
from receiptq.webhooks import delivery, urls


@pytest.fixture
def dns():
    """A resolver for the checks (`resolve`, getaddrinfo's signature): name -> addresses;
    any other name does not resolve. Records every lookup."""
    table: dict[str, list[str]] = {}
    lookups: list[str] = []

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        lookups.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in ip else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (ip, port, 0, 0) if ":" in ip else (ip, port),
            )
            for ip in table[host]
        ]

    return SimpleNamespace(table=table, lookups=lookups, resolve=getaddrinfo)


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",  # loopback
        "127.1.2.3",
        "10.0.0.1",  # private
        "172.16.0.1",
        "172.31.255.254",
        "192.168.1.1",
        "169.254.169.254",  # link-local: cloud metadata
        "100.64.0.1",  # shared (carrier-grade NAT)
        "0.0.0.0",  # unspecified
        "224.0.0.1",  # multicast (is_global alone says yes)
        "239.255.255.250",
        "255.255.255.255",  # broadcast
        "240.0.0.1",  # reserved
        "192.0.2.10",  # documentation
        "[::1]",  # IPv6 loopback
        "[::]",  # IPv6 unspecified
        "[fd00::1]",  # unique-local
        "[fe80::1]",  # link-local
        "[ff02::1]",  # multicast
        "[::ffff:127.0.0.1]",  # IPv4-mapped loopback
        "[::ffff:169.254.169.254]",
        "[64:ff9b::a9fe:a9fe]",  # NAT64 of 169.254.169.254
        "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
        "[::ffff:0:a9fe:a9fe]",  # IPv4-translated (RFC 2765) of 169.254.169.254
        "[::ffff:0:10.0.0.1]",
        "[::7f00:1]",  # IPv4-compatible of 127.0.0.1
        "[::a9fe:a9fe]",
        "[64:ff9b:1::a9fe:a9fe]",  # local-use NAT64 (RFC 8215): never public
        "[64:ff9b:1::5db8:d822]",
        "[64:ff9b::10.1.2.3]",  # NAT64 of a private address
        "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",  # Teredo
        "[100::1]",  # discard-only
        "[2001:db8::1]",  # documentation
    ],
)
def test_literal_non_public_ips_are_refused_without_dns(dns, host):
    with pytest.raises(Unprocessable, match="public"):
        urls.check_callback_url(f"http://{host}:8080/hook", resolve=dns.resolve)
    assert dns.lookups == []


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.216.34/hook",
        "https://93.184.216.34:8443/h?x=1",
        "http://[2606:4700::1111]/",
        "http://[::ffff:93.184.216.34]/",  # IPv4-mapped of a public address
        "http://[64:ff9b::5db8:d822]/",  # NAT64 of 93.184.216.34
    ],
)
def test_public_literal_ips_pass_without_dns(dns, url):
    assert urls.check_callback_url(url, resolve=dns.resolve) == url
    assert dns.lookups == []


def test_a_name_passes_when_every_address_is_public(dns):
    dns.table["hooks.example.com"] = ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]
    url = "https://hooks.example.com/receiptq"
    assert urls.check_callback_url(url, resolve=dns.resolve) == url
    assert dns.lookups == ["hooks.example.com"]


@pytest.mark.parametrize(
    ("name", "addresses"),
    [
        ("localhost", ["127.0.0.1", "::1"]),
        ("metadata.google.internal", ["169.254.169.254"]),
        ("intranet.example.com", ["10.1.2.3"]),
        # One inside address is enough to refuse, whatever else the name has.
        ("mixed.example.com", ["93.184.216.34", "192.168.0.10"]),
        ("v6.example.com", ["fd12:3456::1"]),
        ("translated.example.com", ["::ffff:0:a9fe:a9fe"]),
    ],
)
def test_a_name_with_any_non_public_address_is_refused(dns, name, addresses):
    dns.table[name] = addresses
    with pytest.raises(Unprocessable, match=r"resolves to .* not a public address"):
        urls.check_callback_url(f"http://{name}/hook", resolve=dns.resolve)


def test_a_name_that_does_not_resolve_is_refused(dns):
    with pytest.raises(Unprocessable, match="does not resolve"):
        urls.check_callback_url("https://no-such-host.invalid/hook", resolve=dns.resolve)


@pytest.mark.parametrize(
    "url",
    [
        "http://user:pass@93.184.216.34/hook",
        "https://user@93.184.216.34/hook",
        "https://@93.184.216.34/hook",
        "http://93.184.216.34@127.0.0.1/hook",
    ],
)
def test_userinfo_is_refused(dns, url):
    with pytest.raises(Unprocessable, match="user name or password"):
        urls.check_callback_url(url, resolve=dns.resolve)
    with pytest.raises(Unprocessable, match="user name or password"):
        urls.check_callback_url(url, allow_private=True, resolve=dns.resolve)


@pytest.mark.parametrize("url", ["ftp://93.184.216.34/x", "gopher://127.0.0.1:6379/_x"])
def test_other_schemes_are_still_refused(url):
    with pytest.raises(Unprocessable, match="http or https"):
        urls.check_callback_url(url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "http://[::1]/h", "http://10.0.0.5/h", "http://nas.lan/h"]
)
def test_allow_private_accepts_private_receivers_without_dns(dns, url):
    assert urls.check_callback_url(url, allow_private=True, resolve=dns.resolve) == url
    assert dns.lookups == []


# --- at delivery time ---


def test_delivery_goes_to_the_checked_address_with_the_name_in_host_and_sni(dns):
    dns.table["hooks.example.com"] = ["93.184.216.34"]
    target, headers, extensions = urls.pinned_request(
        "https://hooks.example.com:8443/h?x=1", allow_private=False, resolve=dns.resolve
    )
    assert str(target) == "https://93.184.216.34:8443/h?x=1"
    assert headers == {"host": "hooks.example.com:8443"}
    assert extensions == {"sni_hostname": "hooks.example.com"}
    dns.table["v6.example.com"] = ["2606:4700::1111"]
    target, headers, extensions = urls.pinned_request(
        "http://v6.example.com/h", False, resolve=dns.resolve
    )
    assert str(target) == "http://[2606:4700::1111]/h"
    assert headers == {"host": "v6.example.com"} and extensions == {}


def test_delivery_to_a_literal_ip_or_with_allow_private_is_unchanged(dns):
    target, headers, extensions = urls.pinned_request(
        "http://93.184.216.34/h", False, resolve=dns.resolve
    )
    assert str(target) == "http://93.184.216.34/h" and headers == {} and extensions == {}
    target, headers, _ = urls.pinned_request(
        "http://nas.lan:81/h", allow_private=True, resolve=dns.resolve
    )
    assert str(target) == "http://nas.lan:81/h" and headers == {}
    assert dns.lookups == []


def test_a_pinned_request_reaches_the_receiver_with_its_host_header(dns):
    """The real httpx path: sent to the IP, the receiver sees the name in Host. (127.0.0.1
    is let through by the check it is given: the receiver has to be local here.)"""
    seen: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(self.headers.get("Host"))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        dns.table["hooks.example.com"] = ["127.0.0.1"]
        target, headers, extensions = urls.pinned_request(
            f"http://hooks.example.com:{port}/h", False, dns.resolve, public=lambda ip: True
        )
        with httpx.Client(trust_env=False) as client:
            response = client.post(target, content=b"{}", headers=headers, extensions=extensions)
        assert response.status_code == 204
        assert seen == [f"hooks.example.com:{port}"]
    finally:
        server.shutdown()
        server.server_close()


SETTINGS = SimpleNamespace(
    webhook_secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    webhook_timeout_seconds=5.0,
    webhook_allow_private=False,
)
STATUS = {"job_id": "job_1", "status": "completed"}


def _attempt(dns, url: str, allow_private: bool = False, last_attempt: bool = False):
    """One attempt to deliver to ``url``, resolved by ``dns``, sent to a receiver that
    answers 200: (outcome, what to record, the requests sent)."""
    sent: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    settings = SimpleNamespace(**{**vars(SETTINGS), "webhook_allow_private": allow_private})
    outcome, record = delivery.attempt(
        settings, "msg_1", url, STATUS, last_attempt=last_attempt,
        resolve=dns.resolve, transport=httpx.MockTransport(receiver),
    )  # fmt: skip
    return outcome, record, sent


def test_delivery_gives_up_when_the_name_now_resolves_inside(dns, caplog):
    """DNS rebinding: public at submit, 169.254.169.254 at delivery: never sent, final."""
    dns.table["rebind.example.com"] = ["169.254.169.254"]
    outcome, record, sent = _attempt(dns, "http://rebind.example.com/hook")
    assert outcome == "failed" and sent == []
    assert record["state"] == "failed" and record["attempted"] is False
    assert "169.254.169.254" in record["error"] and "not public" in record["error"]
    assert "not sent" in caplog.text and "not public" in caplog.text


def test_delivery_retries_when_the_name_does_not_resolve(dns):
    outcome, record, sent = _attempt(dns, "http://gone.example.com/hook")
    assert outcome == "retry" and record["state"] == "pending"
    outcome, record, sent = _attempt(dns, "http://gone.example.com/hook", last_attempt=True)
    assert outcome == "failed" and record["state"] == "failed"
    assert sent == [] and "does not resolve" in record["error"]


def test_delivery_to_a_public_name_is_sent_to_its_checked_address(dns):
    dns.table["hooks.example.com"] = ["93.184.216.34"]
    outcome, record, sent = _attempt(dns, "https://hooks.example.com/hook")
    assert outcome == "delivered"
    (request,) = sent
    assert str(request.url) == "https://93.184.216.34/hook"
    assert request.headers["host"] == "hooks.example.com"
    assert request.headers["webhook-id"] == "msg_1"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    assert record == {"state": "delivered", "attempted": True, "status": 200, "error": None}


def test_delivery_with_allow_private_sends_to_the_url_as_given(dns):
    outcome, _, sent = _attempt(dns, "http://127.0.0.1:9/x", allow_private=True)
    assert outcome == "delivered"
    assert str(sent[0].url) == "http://127.0.0.1:9/x" and dns.lookups == []

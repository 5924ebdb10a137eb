"""Webhook signing (Standard Webhooks), callback URL checks and the retry schedule."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest

from receiptq.errors import Unprocessable
from receiptq.webhooks import delivery, signing, urls

SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def independent_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = (
        base64.b64decode(secret.removeprefix("whsec_"))
        if secret.startswith("whsec_")
        else (secret.encode())
    )
    mac = hmac.new(key, msg_id.encode() + b"." + str(timestamp).encode() + b"." + body, "sha256")
    return "v1," + base64.b64encode(mac.digest()).decode()


def test_signature_matches_the_standard_webhooks_test_vector():
    # The example in the Standard Webhooks specification's reference libraries.
    signature = signing.sign(
        SPEC_SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@pytest.mark.parametrize("secret", [SPEC_SECRET, "a plain secret, used as UTF-8 bytes: żółw"])
def test_signed_headers_verify_independently(secret):
    body = b'{"job_id":"x","status":"completed"}'
    headers = signing.signed_headers(secret, "msg_1", body, timestamp=1700000000)
    assert headers["webhook-id"] == "msg_1"
    assert headers["webhook-timestamp"] == "1700000000"
    assert headers["webhook-signature"] == independent_signature(secret, "msg_1", 1700000000, body)
    assert headers["content-type"] == "application/json"


def test_verify_accepts_fresh_and_refuses_tampered_or_stale():
    body = b'{"a":1}'
    headers = signing.signed_headers(SPEC_SECRET, "msg_2", body)
    assert signing.verify(SPEC_SECRET, headers, body)
    assert not signing.verify(SPEC_SECRET, headers, b'{"a":2}')
    assert not signing.verify("whsec_" + base64.b64encode(b"other").decode(), headers, body)
    stale = signing.signed_headers(SPEC_SECRET, "msg_2", body, timestamp=int(time.time()) - 600)
    assert not signing.verify(SPEC_SECRET, stale, body)
    rotated = {**headers, "webhook-signature": "v1,bm90IGl0 " + headers["webhook-signature"]}
    assert signing.verify(SPEC_SECRET, rotated, body)


def test_a_whsec_secret_that_is_not_base64_is_refused():
    with pytest.raises(ValueError, match="base64"):
        signing.signing_key("whsec_not base64!")
    assert signing.signing_key("plain") == b"plain"
    assert signing.signing_key(SPEC_SECRET) == base64.b64decode(SPEC_SECRET[6:])
    assert hashlib.sha256(signing.signing_key(SPEC_SECRET)).digest()  # bytes, not str


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "/relative/path",
        "http://",
        "https://example.com/" + "a" * 2048,
        "http://exa mple.com/",
        "http://example.com/\x00",
        "http://example.com:99999/",
    ],
)
def test_bad_callback_urls_are_422(url):
    with pytest.raises(Unprocessable):
        urls.check_callback_url(url)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hook", "https://example.com/h?x=1", "HTTPS://EXAMPLE.COM"]
)
def test_good_callback_urls_pass(url):
    # allow_private: the form only, no DNS (addresses: tests/unit/test_webhook_urls.py).
    assert urls.check_callback_url(f"  {url} ", allow_private=True) == url


def test_empty_callback_url_means_none():
    assert urls.check_callback_url(None) is None
    assert urls.check_callback_url("   ") is None


def test_backoff_grows_is_capped_and_jittered():
    delays = [delivery.backoff_seconds(n, 5.0, 1800.0) for n in range(8)]
    for n, delay in enumerate(delays):
        full = min(1800.0, 5.0 * 4**n)
        assert full / 2 <= delay <= full
    assert max(delays) <= 1800.0
    assert len({delivery.backoff_seconds(3, 5.0, 1800.0) for _ in range(20)}) > 1

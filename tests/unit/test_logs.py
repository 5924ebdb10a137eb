"""receiptq.logs: the JSON lines operators rely on, the job/request context (structlog's
contextvars) and the Celery hooks."""

from __future__ import annotations

import io
import json
import logging
import threading
from types import SimpleNamespace

import pytest

from receiptq import logs


@pytest.fixture(autouse=True)
def clean_context():
    logs.clear()
    yield
    logs.clear()


@pytest.fixture
def capture():
    """A logger of its own that writes JSON lines to a buffer; returns (logger, lines)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter("json"))
    logger = logging.getLogger("receiptq.test.logs")
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.DEBUG)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield logger, lines
    logger.handlers = []


def test_a_line_is_one_json_object_with_the_basics(capture):
    logger, lines = capture
    logger.warning("disk %s%% full", 93)
    (line,) = lines()
    assert line["level"] == "WARNING"
    assert line["logger"] == "receiptq.test.logs"
    assert line["message"] == "disk 93% full"
    assert line["ts"].endswith("Z") and "T" in line["ts"]
    assert isinstance(line["pid"], int)
    assert "args" not in line and "msg" not in line and "levelno" not in line


def test_extra_fields_are_kept_and_unserializable_values_become_strings(capture):
    logger, lines = capture
    logger.info("stage %s", "ocr", extra={"job_id": "j1", "stage": "ocr", "obj": object()})
    (line,) = lines()
    assert line["job_id"] == "j1" and line["stage"] == "ocr"
    assert line["obj"].startswith("<object object")


def test_newlines_and_unicode_stay_on_one_line(capture):
    logger, _ = capture
    logger.info("Żabka\nsecond line")
    text = logger.handlers[0].stream.getvalue()
    assert text.count("\n") == 1
    assert json.loads(text)["message"] == "Żabka\nsecond line"


def test_a_traceback_is_one_field(capture):
    logger, lines = capture
    try:
        raise ValueError("bad receipt")
    except ValueError:
        logger.exception("processing failed", extra={"job_id": "j2"})
    (line,) = lines()
    assert line["level"] == "ERROR" and line["job_id"] == "j2"
    assert "Traceback" in line["exc_info"] and "ValueError: bad receipt" in line["exc_info"]


def test_bound_context_is_on_every_line_until_it_ends(capture):
    logger, lines = capture
    logger.info("before")
    with logs.context(job_id="j3"):
        logger.info("inside")
        with logs.context(stage="ocr"):
            logger.info("nested")
        logger.info("after nested", extra={"job_id": "explicit"})  # extra wins
    logger.info("after")
    before, inside, nested, explicit, after = lines()
    assert "job_id" not in before and "job_id" not in after
    assert inside["job_id"] == "j3" and "stage" not in inside
    assert nested["job_id"] == "j3" and nested["stage"] == "ocr"
    assert explicit["job_id"] == "explicit"


def test_context_does_not_leak_between_threads(capture):
    logger, lines = capture
    logs.bind(job_id="main-thread")
    seen: list[dict] = []

    def other() -> None:
        seen.append(logs.current())
        logs.bind(job_id="other-thread")
        logger.info("from the other thread")

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    logger.info("from the main thread")
    other_line, main_line = lines()
    assert seen == [{}]
    assert other_line["job_id"] == "other-thread" and main_line["job_id"] == "main-thread"


def test_reset_restores_the_previous_context():
    token = logs.bind(request_id="r1")
    inner = logs.bind(route="/x")
    assert logs.current() == {"request_id": "r1", "route": "/x"}
    logs.reset(inner)
    assert logs.current() == {"request_id": "r1"}
    logs.reset(token)
    assert logs.current() == {}


def test_text_format_has_the_message_and_the_fields():
    record = logging.LogRecord("receiptq.x", logging.INFO, __file__, 1, "stage %s", ("ocr",), None)
    record.stage = "ocr"
    with logs.context(job_id="j4"):
        text = logs.formatter("text").format(record)
    assert "INFO" in text and "stage ocr" in text and "[receiptq.x]" in text
    assert "job_id=j4" in text and "stage=ocr" in text and "\n" not in text


def test_the_format_and_level_come_from_settings(monkeypatch):
    from pydantic import ValidationError

    from receiptq.config import Settings

    monkeypatch.setenv("RECEIPTQ_LOG_FORMAT", "TEXT")
    monkeypatch.setenv("RECEIPTQ_LOG_LEVEL", "warning")
    settings = Settings()
    assert (settings.log_format, settings.log_level) == ("text", "WARNING")
    monkeypatch.setenv("RECEIPTQ_LOG_FORMAT", "xml")
    with pytest.raises(ValidationError, match="RECEIPTQ_LOG_FORMAT"):
        Settings()


def test_a_structlog_logger_writes_the_same_lines(capsys):
    import structlog

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.setup("json", "INFO")
        with logs.context(job_id="j5"):
            structlog.get_logger("receiptq.test.structlog").info("saved", items=3)
        root.handlers[-1].flush()
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
        assert line["message"] == "saved" and line["items"] == 3 and line["job_id"] == "j5"
        assert line["level"] == "INFO" and line["logger"] == "receiptq.test.structlog"
    finally:
        root.handlers, root.level = saved
        structlog.reset_defaults()


def test_dict_config_sends_root_and_gunicorn_lines_as_json(capsys):
    config = logs.dict_config("json", "WARNING")
    assert config["root"]["level"] == "WARNING"
    assert config["loggers"]["gunicorn.access"]["handlers"] == []  # the app logs requests
    assert logs.dict_config("text")["loggers"]["gunicorn.access"]["handlers"] == ["console"]
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.setup("json", "INFO")
        with logs.context(request_id="r9"):
            logging.getLogger("gunicorn.error").info("Booting worker")
        root.handlers[-1].flush()
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
        assert line["logger"] == "gunicorn.error" and line["request_id"] == "r9"
    finally:
        root.handlers, root.level = saved
        logging.getLogger("gunicorn.error").handlers = []
        logging.getLogger("gunicorn.access").handlers = []


def test_celery_task_hooks_bind_the_job_then_clear(capture):
    logger, lines = capture
    task = SimpleNamespace(name="receiptq.process_receipt", run=lambda job_id: job_id)
    logs._task_prerun(task_id="t1", task=task, args=["job-1"], kwargs={})
    logger.info("in the task")
    logs._task_postrun(task_id="t1", task=task)
    logger.info("between tasks")
    other = SimpleNamespace(name="receiptq.deliver_webhook", run=lambda message_id: None)
    logs._task_prerun(task_id="t2", task=other, args=["m-1"], kwargs={})
    logger.info("housekeeping")
    by_name = SimpleNamespace(name="receiptq.index_receipt", run=lambda job_id: None)
    logs._task_prerun(task_id="t3", task=by_name, args=[], kwargs={"job_id": "job-3"})
    logger.info("indexing")
    in_task, between, housekeeping, indexing = lines()
    assert in_task["job_id"] == "job-1" and in_task["task_id"] == "t1"
    assert in_task["task"] == "receiptq.process_receipt"
    assert "job_id" not in between and "task_id" not in between
    assert housekeeping["task_id"] == "t2" and "job_id" not in housekeeping
    assert indexing["job_id"] == "job-3"


def test_celery_logger_hook_keeps_handlers_and_swaps_their_formatter():
    logger = logging.getLogger("receiptq.test.celery-hook")
    handler = logging.StreamHandler(io.StringIO())
    logger.handlers = [handler]
    try:
        logs._after_setup_logger(logger=logger, loglevel=logging.INFO, fmt="json")
        assert logger.handlers == [handler]
        logger.warning("banner", extra={"job_id": "j6"})
        line = json.loads(handler.stream.getvalue())
        assert line["message"] == "banner" and line["job_id"] == "j6"
    finally:
        logger.handlers = []

"""The API's side of the queue: it sends tasks by name and runs no worker code."""

from __future__ import annotations

import subprocess
import sys

from receiptq.config import Settings
from receiptq.queue import names
from receiptq.queue.app import create_celery

WORKER_SIGNALS = (
    "worker_init", "worker_ready", "worker_shutdown", "worker_process_init",
    "worker_process_shutdown", "task_prerun", "task_postrun", "task_failure",
    "setup_logging", "after_setup_logger",
)  # fmt: skip


def test_building_the_api_connects_no_worker_signal():
    """In a fresh interpreter (signals are process-wide): the app factory and its Celery
    app connect no receiver to a worker signal and never import receiptq.worker."""
    code = (
        "import sys\n"
        "from celery import signals\n"
        "from receiptq.api import create_app\n"
        "from receiptq.config import Settings\n"
        "ctx = create_app(Settings()).extensions['receiptq']\n"
        "assert ctx.celery.conf.task_routes\n"
        f"print(sum(len(getattr(signals, n).receivers) for n in {WORKER_SIGNALS!r}),"
        " 'receiptq.worker' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "False"]


def test_every_task_is_routed_to_a_declared_queue():
    conf = create_celery(Settings()).conf
    declared = {queue.name for queue in conf.task_queues}
    tasks = [names.PROCESS_TASK, names.HEALTH_TASK, names.WEBHOOK_TASK, names.INDEX_TASK]
    assert {conf.task_routes[task]["queue"] for task in tasks} <= declared

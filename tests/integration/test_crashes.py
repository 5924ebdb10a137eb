"""Nothing accepted is lost when processes die or services go away: real processes,
killed for real, and a private Redis server restarted for real."""

from __future__ import annotations

import io
import signal
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest
import redis
from cli_process import RECEIPTQ
from conftest import ROOT, isolated_settings
from factories import long_receipt_jpeg, receipt_jpeg
from waiting import wait_for

from receiptq import store, testing

pytestmark = pytest.mark.integration

PROCESS = "/api/v3/receipts/process"


def submit(client, headers, data: bytes):
    return client.post(
        PROCESS, headers=headers, data={"file": (io.BytesIO(data), "r.jpg")},
        content_type="multipart/form-data",
    )  # fmt: skip


class Cluster:
    """An API (test client) and workers sharing only Redis and PostgreSQL (no beat: the
    workers sweep)."""

    def __init__(self, settings, tmp_path: Path) -> None:
        from receiptq.api import create_app
        from receiptq.context import Context
        from receiptq.store.keys import create_key

        self.settings, self.tmp = settings, tmp_path
        self.ctx = Context(settings)
        self.celery = self.ctx.celery
        self.client = create_app(settings).test_client()
        self.headers = {"Authorization": f"Bearer {create_key(self.ctx.pool, 'crash')[1]}"}
        self.workers: list[testing.Worker] = []

    def worker(self, name: str) -> testing.Worker:
        temp = self.tmp / name
        temp.mkdir()
        proc = testing.Worker(self.settings, f"{name}-{uuid.uuid4().hex[:6]}", temp)
        self.workers.append(proc)
        proc.wait_ready(self.celery)
        return proc

    def running(self, job_id: str) -> testing.Worker:
        """The worker whose pool runs the job now (asked over the broker)."""
        for proc in self.workers:
            replies = self.celery.control.inspect(destination=[proc.name], timeout=2).active()
            if any(task["id"] == job_id for tasks in (replies or {}).values() for task in tasks):
                return proc
        raise AssertionError(f"no worker runs {job_id}")

    def close(self) -> None:
        for proc in self.workers:
            proc.stop()
        self.ctx.close()


@pytest.fixture
def cluster(tmp_path):
    label = f"crash_{uuid.uuid4().hex[:8]}"
    with isolated_settings(label, lease_seconds=4, sweep_seconds=2) as settings:
        cluster = Cluster(settings, tmp_path)
        yield cluster
        cluster.close()


def attempts(ctx, job_id: str) -> int:
    with ctx.pool.connection() as conn:
        return conn.execute("SELECT attempts FROM jobs WHERE id = %s", (job_id,)).fetchone()[
            "attempts"
        ]


def test_kill_9_of_a_worker_host_mid_job_runs_it_elsewhere_within_60s(cluster):
    a = cluster.worker("host-a")
    job_id = submit(cluster.client, cluster.headers, long_receipt_jpeg()).get_json()["job_id"]
    wait_for(cluster.client, cluster.headers, job_id, statuses={"processing"}, timeout=60)
    a.kill9()
    killed_at = time.monotonic()
    cluster.worker("host-b")
    job = wait_for(cluster.client, cluster.headers, job_id, timeout=90)
    assert job["status"] == "completed", job
    assert time.monotonic() - killed_at < 60
    assert store.receipts.count_for_job(cluster.ctx.pool, job_id) == (
        1,
        len(job["result"]["items"]),
    )
    assert attempts(cluster.ctx, job_id) == 2


def test_two_workers_no_beat_kill_9_mid_job_completes_on_the_other(cluster):
    """The sweep runs in the workers: the survivor re-queues the dead one's job."""
    cluster.worker("host-a")
    cluster.worker("host-b")
    job_id = submit(cluster.client, cluster.headers, long_receipt_jpeg()).get_json()["job_id"]
    wait_for(cluster.client, cluster.headers, job_id, statuses={"processing"}, timeout=60)
    victim = cluster.running(job_id)
    victim.kill9()
    killed_at = time.monotonic()
    while attempts(cluster.ctx, job_id) < 2 and time.monotonic() - killed_at < 120:
        time.sleep(0.1)
    restarted = time.monotonic() - killed_at  # re-queued by the sweep and started again
    job = wait_for(cluster.client, cluster.headers, job_id, timeout=120)
    recovery = time.monotonic() - killed_at
    assert job["status"] == "completed", job
    assert store.receipts.count_for_job(cluster.ctx.pool, job_id) == (
        1,
        len(job["result"]["items"]),
    )
    assert attempts(cluster.ctx, job_id) == 2
    (survivor,) = [proc for proc in cluster.workers if proc is not victim]
    assert job_id in survivor.log()
    # The figure in docs/reliability.md (run with -s to see it).
    print(
        f"\nafter kill -9, no beat: running again in {restarted:.1f} s, completed in "
        f"{recovery:.1f} s (lease {cluster.settings.lease_seconds} s, sweep "
        f"{cluster.settings.sweep_seconds} s)"
    )


def test_two_workers_ticking_together_sweep_once_per_period(cluster):
    from receiptq.queue.service import marker_key
    from receiptq.worker.housekeeping import Housekeeper

    job_id = submit(cluster.client, cluster.headers, receipt_jpeg()).get_json()["job_id"]
    cluster.ctx.redis.delete(marker_key(job_id))  # the broker lost its message
    with cluster.ctx.pool.connection() as conn:
        conn.execute("UPDATE jobs SET updated_at = now() - interval '1 hour' WHERE id = %s",
                     (job_id,))  # fmt: skip
    from receiptq.context import Context

    # Its own temp dir: the first tick also runs the hourly cleanup of temp files.
    ctx = Context(cluster.settings.model_copy(update={"temp_dir": str(cluster.tmp)}))
    a, b = Housekeeper(ctx, "a"), Housekeeper(ctx, "b")
    a.tick(time.monotonic())
    assert cluster.ctx.redis.exists(marker_key(job_id))  # re-queued by a
    cluster.ctx.redis.delete(marker_key(job_id))
    b.tick(time.monotonic())  # within a's period: b skips the sweep
    assert not cluster.ctx.redis.exists(marker_key(job_id))
    time.sleep(cluster.settings.sweep_seconds + 0.1)
    b.tick(time.monotonic())  # the next period: b's turn
    assert cluster.ctx.redis.exists(marker_key(job_id))
    ctx.close()


def test_a_second_delivery_of_a_leased_job_is_deferred(cluster):
    from receiptq.processing import process_job

    job_id = submit(cluster.client, cluster.headers, receipt_jpeg()).get_json()["job_id"]
    with store.leases.hold(cluster.ctx.redis, job_id, 30) as held:  # another worker runs it
        assert held
        assert process_job(cluster.ctx, job_id) == "deferred"
        assert attempts(cluster.ctx, job_id) == 0
    assert process_job(cluster.ctx, job_id) == "completed"


def test_sigterm_lets_the_running_job_finish(cluster):
    a = cluster.worker("host-a")
    job_id = submit(cluster.client, cluster.headers, long_receipt_jpeg()).get_json()["job_id"]
    wait_for(cluster.client, cluster.headers, job_id, statuses={"processing"}, timeout=60)
    a.proc.send_signal(signal.SIGTERM)
    assert a.proc.wait(120) == 0
    job = wait_for(cluster.client, cluster.headers, job_id, timeout=5)
    assert job["status"] == "completed", a.log()[-2000:]


class PrivateRedis:
    """A redis-server of the test's own, with no persistence, to stop and start at will."""

    def __init__(self, tmp: Path) -> None:
        self.port, self.tmp, self.proc = testing.free_port(), tmp, None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.tmp)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("private redis did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def test_redis_outage_answers_503_then_lost_queued_jobs_are_requeued(private_redis, tmp_path):
    from receiptq.queue.sweep import sweep

    label = f"outage_{uuid.uuid4().hex[:8]}"
    base = f"redis://127.0.0.1:{private_redis.port}"
    with isolated_settings(label, redis_base=base, lease_seconds=4) as settings:
        cluster = Cluster(settings, tmp_path)
        try:
            accepted = [
                submit(cluster.client, cluster.headers, receipt_jpeg()).get_json()["job_id"]
                for _ in range(2)
            ]
            private_redis.stop()  # Redis dies, and with it the queue and the job hashes

            refused = submit(cluster.client, cluster.headers, receipt_jpeg())
            assert refused.status_code == 503
            assert refused.mimetype == "application/problem+json"
            for job_id in accepted:  # status falls back to PostgreSQL meanwhile
                response = cluster.client.get(
                    f"/api/v3/receipts/status/{job_id}", headers=cluster.headers
                )
                assert response.status_code == 200 and response.get_json()["status"] == "queued"

            private_redis.start()  # back, but empty: the messages are gone
            cluster.ctx.redis.connection_pool.reset()
            time.sleep(settings.lease_seconds + 0.5)  # the jobs are idle long enough
            report = sweep(cluster.ctx)
            assert sorted(report.requeued) == sorted(accepted)
            assert sweep(cluster.ctx).requeued == []  # marked: not twice

            cluster.worker("host-a")
            for job_id in accepted:
                job = wait_for(cluster.client, cluster.headers, job_id, timeout=90)
                assert job["status"] == "completed", job
                assert store.receipts.count_for_job(cluster.ctx.pool, job_id)[0] == 1
        finally:
            cluster.close()


def test_flower_stops_on_sigterm_while_redis_stalls(private_redis, tmp_path):
    """A restart of Flower does not wait for Redis. With Redis stalled (SIGSTOP: connections
    accepted, nothing answered), Flower's broker calls wait forever (no socket timeout);
    they once kept it from exiting after SIGTERM (receiptq/flower_process.py)."""
    base = f"redis://127.0.0.1:{private_redis.port}"
    with isolated_settings(f"flower_{uuid.uuid4().hex[:8]}", redis_base=base) as settings:
        port, log = testing.free_port(), tmp_path / "flower.log"
        proc = subprocess.Popen(
            [*RECEIPTQ, "flower", "--port", str(port)], cwd=ROOT,
            env=testing.service_env(settings, RECEIPTQ_FLOWER_BASIC_AUTH="ops:pw"),
            stdout=subprocess.DEVNULL, stderr=log.open("wb"),
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            testing.wait_http(f"{url}/healthcheck", proc, log.read_text)
            private_redis.proc.send_signal(signal.SIGSTOP)
            with pytest.raises(httpx.ReadTimeout):  # its inspect cannot finish now
                httpx.get(f"{url}/api/workers?refresh=1", auth=("ops", "pw"), timeout=3)
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                pytest.fail(f"Flower still running 30 s after SIGTERM: {log.read_text()}")
            assert proc.returncode == 0, log.read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            private_redis.proc.send_signal(signal.SIGCONT)


def test_database_outage_answers_503(settings):
    from receiptq.api import create_app

    down = settings.model_copy(update={"database_url": "postgresql://postgres@127.0.0.1:1/x"})
    client = create_app(down).test_client()
    response = submit(client, {"Authorization": "Bearer rq_anything"}, receipt_jpeg())
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert "database" in response.get_json()["detail"].lower()


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (initdb in a temp dir), to stop and start."""

    def __init__(self) -> None:
        import glob
        import os
        import tempfile

        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bins:
            pytest.fail("PostgreSQL server binaries not found (scripts/bootstrap.sh installs them)")
        self.bin = Path(bins[-1])
        self.port = testing.free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="receiptq-pg-", dir="/tmp"))
        self.run_as: list[str] = []
        if os.geteuid() == 0:  # postgres refuses to run as root
            self.run_as = ["runuser", "-u", "postgres", "--"]
            subprocess.run(["chown", "postgres:", str(self.dir)], check=True)
        self.data = self.dir / "data"
        subprocess.run(
            [*self.run_as, str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
             "--auth=trust", "-E", "UTF8"], check=True, capture_output=True,
        )  # fmt: skip

    def start(self) -> None:
        subprocess.run(
            [*self.run_as, str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-l",
             str(self.dir / "log"), "-o",
             f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off",
             "start"], check=True, capture_output=True,
        )  # fmt: skip

    def stop(self) -> None:
        subprocess.run(
            [*self.run_as, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
             "stop"], capture_output=True,
        )  # fmt: skip

    def remove(self) -> None:
        import shutil

        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_postgres():
    server = PrivatePostgres()
    server.start()
    yield server
    server.remove()


def test_database_outage_mid_job_is_retried_until_the_database_is_back(private_postgres, tmp_path):
    base = f"postgresql://postgres@127.0.0.1:{private_postgres.port}"
    label = f"pgdown_{uuid.uuid4().hex[:8]}"
    with isolated_settings(label, database_base=base, retry_delay_seconds=1.0) as settings:
        cluster = Cluster(settings, tmp_path)
        try:
            worker = cluster.worker("host-a")
            data = long_receipt_jpeg()
            job_id = submit(cluster.client, cluster.headers, data).get_json()["job_id"]
            wait_for(cluster.client, cluster.headers, job_id, statuses={"processing"})
            private_postgres.stop()
            cluster.ctx.pool.close()

            refused = submit(cluster.client, cluster.headers, receipt_jpeg())
            assert refused.status_code == 503  # nothing new is accepted meanwhile
            time.sleep(3)  # the worker hits the outage at its next stage boundary
            private_postgres.start()

            cluster.ctx = type(cluster.ctx)(settings)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                with cluster.ctx.pool.connection() as conn:
                    status = conn.execute(
                        "SELECT status FROM jobs WHERE id = %s", (job_id,)
                    ).fetchone()["status"]
                if status in {"completed", "failed"}:
                    break
                time.sleep(0.2)
            assert status == "completed", worker.log()[-3000:]
            assert "Retry in" in worker.log() or "retrying" in worker.log()
            assert store.receipts.count_for_job(cluster.ctx.pool, job_id)[0] == 1
        finally:
            cluster.close()

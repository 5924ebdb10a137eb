"""`receiptq`: run the parts (api, worker, flower), manage the database and keys,
submit receipts to a running API, or extract in-process with no services at all."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from receiptq.config import Settings


def _settings() -> Settings:
    return Settings()


def _exec(argv: list[str], env: dict[str, str] | None = None) -> None:
    """Replace this process, so signals (Ctrl-C, SIGTERM) reach the server directly; or,
    when `main` was invoked with ``obj={"exec": run}``, hand ``run(argv, env)`` the command
    instead (how the tests see what would start)."""
    context = click.get_current_context(silent=True)
    run = (context.find_root().obj or {}).get("exec") if context else None
    if run is not None:
        run(argv, env or {})
        return
    os.environ.update(env or {})  # the child inherits this process's environment
    os.execvp(argv[0], argv)


def _metrics_env(settings: Settings, name: str) -> dict[str, str]:
    """PROMETHEUS_MULTIPROC_DIR for a multi-process service (receiptq.metrics): one per
    service instance (the service wipes it when it starts), unless already set. Not named
    receiptq-* in the temp dir: the worker's cleanup removes those."""
    if settings.prometheus_multiproc_dir:
        Path(settings.prometheus_multiproc_dir).mkdir(parents=True, exist_ok=True)
        return {}
    path = Path(tempfile.gettempdir()) / f"prometheus-receiptq-{name}"
    path.mkdir(parents=True, exist_ok=True)
    return {"PROMETHEUS_MULTIPROC_DIR": str(path)}


@click.group()
@click.version_option(package_name="receiptq")
def main() -> None:
    """receiptq: distributed receipt processing."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn processes")
@click.option(
    "--connections", default=1000, show_default=True, type=int,
    help="concurrent connections per process (event streams included)",
)  # fmt: skip
def api(host: str, port: int, workers: int, connections: int) -> None:
    """Serve the HTTP API with gunicorn (gevent workers: see receiptq/api/gunicorn_conf.py)."""
    _exec(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "receiptq.api:create_app()",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gevent",
            "--worker-connections",
            str(connections),
            "--config",  # JSON logs, metrics across the gunicorn processes
            "python:receiptq.api.gunicorn_conf",
            "--timeout",
            "60",
        ],
        _metrics_env(_settings(), f"api-{port}"),
    )


@main.command()
@click.option("--concurrency", "-c", default=None, type=int, help="processes (default: cores)")
@click.option("--queues", "-Q", default="receipts,maintenance,index", show_default=True)
@click.option("--loglevel", "-l", default="INFO", show_default=True)
@click.option("--hostname", "-n", default=None, help="worker node name")
def worker(concurrency: int | None, queues: str, loglevel: str, hostname: str | None) -> None:
    """Run a Celery worker (processes receipts)."""
    settings = _settings()
    argv = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "receiptq.worker",
        "worker",
        "-Q",
        queues,
        "-l",
        loglevel,
    ]
    if concurrency:
        argv += ["-c", str(concurrency)]
    if hostname:
        argv += ["-n", hostname]
    env = {"OMP_THREAD_LIMIT": "1"}
    if settings.temp_dir:
        Path(settings.temp_dir).mkdir(parents=True, exist_ok=True)
        env["TMPDIR"] = settings.temp_dir
    if settings.worker_metrics_port:  # the exporter sums the pool processes' values
        env.update(_metrics_env(settings, f"worker-{settings.worker_metrics_port}"))
    _exec(argv, env)


@main.command()
@click.option("--port", default=5555, show_default=True, type=int)
@click.option("--address", default="127.0.0.1", show_default=True)
@click.option(
    "--insecure", is_flag=True,
    help="start without RECEIPTQ_FLOWER_BASIC_AUTH: anyone who reaches the port can "
    "see and control the workers",
)  # fmt: skip
def flower(port: int, address: str, insecure: bool) -> None:
    """Run Flower, the Celery dashboard (basic auth from RECEIPTQ_FLOWER_BASIC_AUTH)."""
    settings = _settings()
    if not settings.flower_basic_auth:
        # Flower can revoke tasks and shut workers down: no login is a choice, never a default.
        if not insecure:
            raise click.UsageError(
                "RECEIPTQ_FLOWER_BASIC_AUTH is not set: set it to user:password, or pass "
                "--insecure to run Flower with no login."
            )
        click.echo(
            f"WARNING: Flower on {address}:{port} has no login (--insecure): anyone who "
            "reaches this port can see and control the workers.",
            err=True,
        )
    argv = [
        sys.executable,
        "-m",
        "receiptq.flower_process",  # `celery` as a child, killed 5 s after SIGTERM
        "-A",
        "receiptq.worker",
        "flower",
        f"--port={port}",
        f"--address={address}",
    ]
    env = {}
    if settings.flower_basic_auth:  # Flower reads FLOWER_* options; argv would show in `ps`
        env["FLOWER_BASIC_AUTH"] = settings.flower_basic_auth
    _exec(argv, env)


@main.group()
def db() -> None:
    """Database schema."""


@db.command()
def upgrade() -> None:
    """Create the database if missing and apply pending migrations."""
    from receiptq.store.migrate import upgrade as run_upgrade

    applied = run_upgrade(_settings().database_url)
    click.echo("applied: " + ", ".join(applied) if applied else "database is up to date")


@main.group()
def keys() -> None:
    """API keys."""


@keys.command("create")
@click.argument("name")
def keys_create(name: str) -> None:
    """Create a key for user NAME (created if new). The key is the last line printed."""
    from receiptq.context import Context
    from receiptq.store.keys import create_key

    ctx = Context(_settings())
    try:
        user, key = create_key(ctx.pool, name)
    finally:
        ctx.close()
    click.echo(f"created a key for user {user.name} ({user.id}); it is shown only once:", err=True)
    click.echo(key)


@keys.command("revoke")
@click.argument("key")
def keys_revoke(key: str) -> None:
    """Revoke KEY (the full key, or the 10-character prefix stored with it)."""
    import redis

    from receiptq.api.auth import CACHE_SECONDS, keys_changed
    from receiptq.context import Context
    from receiptq.store.keys import revoke_key

    ctx = Context(_settings())
    try:
        count = revoke_key(ctx.pool, key)
        try:  # API processes remember valid keys briefly: make them forget now
            keys_changed(ctx.redis)
        except redis.RedisError:
            click.echo(f"Redis is unreachable: running API processes may accept the key for"
                       f" up to {CACHE_SECONDS:g} s more", err=True)  # fmt: skip
    finally:
        ctx.close()
    click.echo(f"revoked {count} key(s)")
    if count == 0:
        sys.exit(1)


def _client():
    from receiptq.client.http import Client

    settings = _settings()
    if not settings.api_key:
        raise click.UsageError("set RECEIPTQ_API_KEY (make one with `receiptq keys create NAME`)")
    return Client(settings.api_url, settings.api_key)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--wait", is_flag=True, help="wait for every job to finish; rows carry results")
@click.option(
    "--jsonl", "jsonl_out", type=click.Path(dir_okay=False, path_type=Path),
    help="write one JSON line per file here",
)  # fmt: skip
@click.option(
    "--csv", "csv_out", type=click.Path(dir_okay=False, path_type=Path),
    help="write a CSV row per file here (file, job_id, status, merchant, date, total, error)",
)  # fmt: skip
@click.option(
    "--concurrency", "-j", default=4, show_default=True, type=click.IntRange(1, 32),
    help="uploads in flight",
)  # fmt: skip
@click.option("--force", is_flag=True, help="process files already submitted again")
@click.option(
    "--cancel-on-interrupt", is_flag=True,
    help="on Ctrl-C, cancel the jobs this run started that have not finished",
)  # fmt: skip
@click.option("--quiet", "-q", is_flag=True, help="no progress bar, no JSON lines on stdout")
def submit(
    paths: tuple[Path, ...],
    wait: bool,
    jsonl_out: Path | None,
    csv_out: Path | None,
    concurrency: int,
    force: bool,
    cancel_on_interrupt: bool,
    quiet: bool,
) -> None:
    """Upload receipts (files or folders, recursively) to the API.

    Files already submitted by this key's user are skipped (the API recognises the bytes),
    so running it again over the same folder resumes. Exit status: 0 all went well, 1 a
    receipt failed (or, with --wait, did not complete), 2 the API could not be used,
    130 interrupted. See docs/batch.md.
    """
    from receiptq.client import runner

    options = runner.BatchOptions(
        wait=wait, concurrency=concurrency, force=force, cancel_on_interrupt=cancel_on_interrupt
    )
    client = _client()
    try:
        code = runner.run(
            list(paths), options, client, jsonl=jsonl_out, csv_path=csv_out, quiet=quiet
        )
    finally:
        client.close()
    sys.exit(code)


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--interval", default=2.0, show_default=True, type=click.FloatRange(0.2, 3600),
    help="seconds between looks at the folder",
)  # fmt: skip
@click.option("--once", is_flag=True, help="take what is there, wait for its jobs, then exit")
def watch(folder: Path, interval: float, once: bool) -> None:
    """Submit every receipt dropped into FOLDER, once; move it to FOLDER/done/ with its
    result beside it (NAME.json), or to FOLDER/failed/ with the reason (NAME.reason.txt).

    Runs until Ctrl-C or SIGTERM; restarted, it neither submits a file again nor forgets
    a job it was waiting for (state in FOLDER/.receiptq-watch.sqlite). Exit status: 0,
    1 (--once: a file failed), 2 the key was refused or the folder cannot be used.
    See docs/batch.md."""
    import sqlite3

    import httpx

    from receiptq.client.http import ApiError, unreachable
    from receiptq.client.watch import Watcher, WatchOptions, stop_on_signals

    def say(message: str) -> None:
        click.echo(message, err=True)

    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        say(f"error: {folder} is not a folder this user can write to")
        sys.exit(2)
    client = _client()
    try:
        try:
            client.check_key()
        except ApiError as exc:
            if exc.status in (401, 403):
                say(f"error: the API refused the key: {exc.detail} (HTTP {exc.status})")
                sys.exit(2)
        except httpx.TransportError as exc:  # it may come up later: the loop retries
            say(f"{unreachable(client.base_url, exc)}: waiting for it")
        try:
            watcher = Watcher(client, folder, WatchOptions(interval, once), say=say)
        except sqlite3.Error as exc:
            say(f"error: cannot keep the watch state in {folder}: {exc}")
            sys.exit(2)
        say(f"watching {folder} every {interval:g} s")
        with stop_on_signals(watcher.stop):
            code = watcher.run()
    finally:
        client.close()
    sys.exit(code)


@contextmanager
def _api() -> Iterator:
    """The API client for one command; what goes wrong ends it with one line on stderr:
    exit 1 when the API refused (404, 409, ...), 2 when it could not be used at all."""
    import httpx

    from receiptq.client.http import ApiError, unreachable

    client = _client()
    try:
        yield client
    except ApiError as exc:
        click.echo(f"error: {exc.detail} (HTTP {exc.status})", err=True)
        sys.exit(2 if exc.status in (401, 403) else 1)
    except httpx.TransportError as exc:
        click.echo(f"error: {unreachable(client.base_url, exc)}", err=True)
        sys.exit(2)
    except httpx.InvalidURL as exc:
        click.echo(f"error: RECEIPTQ_API_URL is not a usable URL: {exc}", err=True)
        sys.exit(2)
    finally:
        client.close()


def _print_job(job: dict) -> None:
    click.echo(json.dumps(job, indent=2, ensure_ascii=False))


@main.command()
@click.argument("job_id")
def status(job_id: str) -> None:
    """Print a job's status as JSON. Exit status: 1 the API refused (e.g. no such job),
    2 the API could not be reached (or refused the key)."""
    with _api() as client:
        _print_job(client.status(job_id))


@main.command()
@click.argument("job_id")
def cancel(job_id: str) -> None:
    """Cancel a queued or running job; prints its status (exit 1 if it had finished)."""
    with _api() as client:
        _print_job(client.cancel(job_id))


@main.command()
@click.argument("job_id")
@click.option("--yes", is_flag=True, help="do not ask")
def delete(job_id: str, yes: bool) -> None:
    """Delete a job's stored image and result for good (the job stays, as 'deleted')."""
    if not yes:
        click.confirm(f"Delete the image and result of job {job_id} for good?", abort=True)
    with _api() as client:
        _print_job(client.delete(job_id))


@main.command()
@click.argument("job_id")
def reprocess(job_id: str) -> None:
    """Run the current extractor again on a finished job's stored image: a new job,
    linked to the old one; prints the new job (follow it with `receiptq status`)."""
    with _api() as client:
        _print_job(client.reprocess(job_id))


@main.command("list")
@click.option(
    "--status", "statuses", multiple=True,
    help="only jobs in this state (repeat, or a comma list): queued, processing, completed, ...",
)  # fmt: skip
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 200),
              help="jobs per page")  # fmt: skip
@click.option("--cursor", help="start at this page (the cursor a previous run printed)")
@click.option("--all", "every", is_flag=True, help="follow the pages to the last job")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
def list_jobs(
    statuses: tuple[str, ...], limit: int, cursor: str | None, every: bool, as_json: bool
) -> None:
    """Your jobs, newest first: a table (or JSON lines), a page at a time. When there
    are more, the command for the next page goes to stderr."""
    from receiptq.client import table

    wanted = [s.strip() for value in statuses for s in value.split(",") if s.strip()]
    first = True
    with _api() as client:
        while True:
            page = client.list_jobs(wanted, limit=limit, cursor=cursor)
            if as_json:
                for item in page["items"]:
                    click.echo(json.dumps(item, ensure_ascii=False))
            else:
                for line in table.render(page["items"], header=first):
                    click.echo(line)
            first = False
            cursor = page.get("next_cursor")
            if not cursor:
                return
            if not every:
                click.echo(f"more: receiptq list --cursor {cursor}", err=True)
                return


@main.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)  # fmt: skip
@click.option(
    "--items", is_flag=True,
    help="CSV: a row per item (with its receipt's columns) instead of a row per receipt",
)  # fmt: skip
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
    help="write here (complete or not at all) instead of stdout",
)  # fmt: skip
def export(fmt: str, items: bool, output: Path | None) -> None:
    """Your completed receipts, newest first, as CSV (a row per receipt, or per item with
    --items) or JSON (each receipt's whole result)."""
    if items and fmt != "csv":
        raise click.UsageError("--items is for CSV; the JSON export holds every item already")
    with _api() as client:
        chunks = client.export(fmt, rows="items" if items else "receipts")
        if output is None:
            out = sys.stdout.buffer
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            return
        partial = output.with_name(output.name + ".part")
        try:
            with partial.open("wb") as fh:
                for chunk in chunks:
                    fh.write(chunk)
            partial.replace(output)
        finally:
            partial.unlink(missing_ok=True)
        click.echo(f"wrote {output}", err=True)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--jsonl", is_flag=True, help="one JSON object per line")
def extract(files: tuple[Path, ...], jsonl: bool) -> None:
    """Run the stages in-process on FILES (no Redis, no PostgreSQL) and print receipts.

    One JSON row per file, in order; a file that fails gets its error on its row and the
    next file is read. Exit status 1 when any file failed."""
    from receiptq.extract_files import extract_files
    from receiptq.pipeline.run import Pipeline

    pipeline = Pipeline.from_settings(_settings())
    code = extract_files(
        files,
        pipeline.extract,
        lambda row: click.echo(json.dumps(row, ensure_ascii=False, indent=None if jsonl else 2)),
    )
    sys.exit(code)


if __name__ == "__main__":
    main()

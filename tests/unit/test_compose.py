"""docker-compose.yaml and the Dockerfile, checked against the code without a Docker engine:
every command is a real `receiptq` command with real options, every RECEIPTQ_* variable is
a Settings field with a valid value, every reference (service, volume, file) exists."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import pytest
import yaml

from receiptq.cli import main as cli
from receiptq.config import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yaml").read_text(encoding="utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
_VAR = re.compile(r"\$\{(?P<name>\w+)(?::?-(?P<default>[^}]*))?\}")


def interpolate(value: str) -> str:
    """What Compose makes of a value when no variable is set: ${X:-default} -> default."""

    def default(match: re.Match[str]) -> str:
        assert match["default"] is not None, f"{match[0]} has no default: set one"
        return match["default"]

    return _VAR.sub(default, value.replace("$$", "\0")).replace("\0", "$")


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {name: interpolate(str(value)) for name, value in env.items()}


def argv(command: Any) -> list[str]:
    if isinstance(command, str):
        command = shlex.split(command)
    return [interpolate(str(part)) for part in command]


def resolve(args: list[str]) -> tuple[click.Command, list[str], str]:
    """The click command an argv names (`receiptq db upgrade` -> upgrade) and its args."""
    assert args[0] == "receiptq", f"{args}: run the `receiptq` CLI"
    command: click.Command = cli
    rest, path = args[1:], ["receiptq"]
    while isinstance(command, click.Group):
        assert rest, f"{args}: names a group, not a command"
        name, rest = rest[0], rest[1:]
        assert name in command.commands, f"{args}: `{' '.join(path)}` has no command {name!r}"
        command = command.commands[name]
        path.append(name)
    return command, rest, " ".join(path)


def parse(args: list[str]) -> click.Context:
    """Parse like the CLI would (options exist, values have the right types), without
    running anything."""
    command, rest, name = resolve(args)
    return command.make_context(name, list(rest))


def app_services() -> dict[str, dict[str, Any]]:
    image = build_service()["image"]
    return {name: svc for name, svc in SERVICES.items() if svc.get("image") == image}


def build_service() -> dict[str, Any]:
    built = [svc for svc in SERVICES.values() if "build" in svc]
    assert len(built) == 1, "exactly one service builds the receiptq image"
    return built[0]


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE)
    lines = (line.strip() for line in joined.splitlines())
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def instruction(keyword: str) -> str:
    found = [args for kw, args in instructions() if kw == keyword]
    assert len(found) == 1, f"the Dockerfile has one {keyword}"
    return found[0]


def python_snippets(test: list[str]) -> list[str]:
    return [test[i + 1] for i, part in enumerate(test[:-1]) if part == "-c" and "python" in test]


def test_no_version_key_and_every_part() -> None:
    assert "version" not in COMPOSE
    assert {"redis", "postgres", "migrate", "api", "worker", "flower"} <= set(SERVICES)


def test_every_receiptq_command_parses() -> None:
    seen = set()
    for name, svc in app_services().items():
        assert "command" in svc, f"{name}: say which part it runs"
        ctx = parse(argv(svc["command"]))
        seen.add(ctx.info_name)
    assert seen == {
        "receiptq db upgrade",
        "receiptq api",
        "receiptq worker",
        "receiptq flower",
        "receiptq watch",
    }


def test_parts_listen_where_they_are_published() -> None:
    api = parse(argv(SERVICES["api"]["command"])).params
    assert api["host"] == "0.0.0.0"
    flower = parse(argv(SERVICES["flower"]["command"])).params
    assert flower["address"] == "0.0.0.0"
    for name, port in (("api", api["port"]), ("flower", flower["port"])):
        published = [str(p).rsplit(":", 1)[-1] for p in SERVICES[name].get("ports", [])]
        assert str(port) in published, f"{name} listens on {port}, publishes {published}"
        test = " ".join(SERVICES[name]["healthcheck"]["test"])
        assert f"127.0.0.1:{port}/" in test, f"{name}'s healthcheck asks another port"


def test_worker_uses_both_queues_and_scales() -> None:
    worker = SERVICES["worker"]
    params = parse(argv(worker["command"])).params
    assert set(params["queues"].split(",")) == {"receipts", "maintenance"}
    assert params["concurrency"] and params["concurrency"] >= 1
    assert params["hostname"] is None, "a fixed node name would clash when scaled"
    assert "container_name" not in worker
    assert not worker.get("ports"), "published ports would clash when scaled"


def test_dockerfile_default_command_parses() -> None:
    params = parse(json.loads(instruction("CMD"))).params
    assert (params["host"], params["port"]) == ("0.0.0.0", 8000)


def test_dockerfile_copy_sources_exist_and_reach_the_build() -> None:
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    included = {line[1:].strip().rstrip("/") for line in ignore if line.startswith("!")}
    copies = [args.split() for kw, args in instructions() if kw == "COPY"]
    assert copies
    for parts in copies:
        assert not parts[0].startswith("--from"), "single stage: COPY from the context"
        *sources, _dest = parts
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
            if "*" in ignore:
                assert source.rstrip("/") in included, f"{source} is left out by .dockerignore"


def test_healthcheck_snippets_compile() -> None:
    found = re.search(r"\bCMD\s+(\[.*\])$", instruction("HEALTHCHECK"))
    assert found, "the Dockerfile has an exec-form HEALTHCHECK"
    tests = [json.loads(found[1])]
    tests += [
        svc["healthcheck"]["test"]
        for svc in SERVICES.values()
        if "healthcheck" in svc and "test" in svc["healthcheck"]
    ]
    snippets = [code for test in tests for code in python_snippets(test)]
    assert len(snippets) >= 3
    for code in snippets:
        compile(code, "<healthcheck>", "exec")


def test_liveness_route_exists() -> None:
    from receiptq.api import create_app

    app = create_app(redis_url="redis://127.0.0.1:1/0")
    assert "/health" in {rule.rule for rule in app.url_map.iter_rules()}


def test_depends_on_targets_exist() -> None:
    for name, svc in SERVICES.items():
        deps = svc.get("depends_on") or {}
        if isinstance(deps, list):
            deps = {dep: {"condition": "service_started"} for dep in deps}
        for dep, spec in deps.items():
            assert dep in SERVICES, f"{name} depends on unknown service {dep}"
            condition = spec.get("condition", "service_started")
            assert condition in {
                "service_started",
                "service_healthy",
                "service_completed_successfully",
            }
            if condition == "service_healthy":
                check = SERVICES[dep].get("healthcheck", {})
                assert "test" in check and not check.get("disable"), f"{dep} has no healthcheck"
            if condition == "service_completed_successfully":
                assert SERVICES[dep].get("restart", "no") == "no", f"{dep} must run once"


def test_parts_wait_for_their_services() -> None:
    for name in ("api", "worker"):
        deps = SERVICES[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully", name
        assert deps["redis"]["condition"] == "service_healthy", name
        assert deps["postgres"]["condition"] == "service_healthy", name
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert SERVICES["flower"]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_one_image_built_once() -> None:
    built = build_service()
    context = built["build"] if isinstance(built["build"], str) else built["build"]["context"]
    assert (ROOT / context / "Dockerfile").is_file()
    assert built.get("pull_policy") == "build", "never pull our own image from a registry"
    for name, svc in app_services().items():
        if "build" not in svc:
            assert svc.get("pull_policy") == "never", f"{name}: would look in a registry"
    assert set(app_services()) >= {"migrate", "api", "worker", "flower"}


def test_receiptq_variables_are_settings() -> None:
    for name, svc in SERVICES.items():
        values = {}
        for var, value in environment(svc).items():
            if not var.startswith("RECEIPTQ_"):
                continue
            field = var.removeprefix("RECEIPTQ_").lower()
            assert field in Settings.model_fields, f"{name}: {var} is not a setting"
            values[field] = value
        Settings(**values)  # valid values too


def test_app_services_reach_redis_and_postgres() -> None:
    postgres = environment(SERVICES["postgres"])
    for name, svc in app_services().items():
        if name == "watch":  # a client of the API: test_watch_reaches_the_api
            continue
        env = environment(svc)
        redis_url = urlsplit(env["RECEIPTQ_REDIS_URL"])
        assert redis_url.hostname == "redis" and redis_url.port == 6379, name
        if name == "flower":
            continue
        db = urlsplit(env["RECEIPTQ_DATABASE_URL"])
        assert db.hostname == "postgres" and db.port == 5432, name
        assert db.path.lstrip("/") == postgres["POSTGRES_DB"], name
        assert db.username == postgres.get("POSTGRES_USER", "postgres"), name
        if postgres.get("POSTGRES_HOST_AUTH_METHOD") != "trust":
            assert db.password == postgres["POSTGRES_PASSWORD"], f"{name}: password differs"


def test_worker_temp_dir_is_container_local() -> None:
    worker = SERVICES["worker"]
    temp_dir = environment(worker)["RECEIPTQ_TEMP_DIR"]
    mounts = [str(m).split(":", 1)[0] for m in worker.get("tmpfs", [])]
    assert any(temp_dir == m or temp_dir.startswith(m.rstrip("/") + "/") for m in mounts)
    assert not worker.get("volumes"), "workers share no disk: uploads live in PostgreSQL"


def test_flower_has_basic_auth() -> None:
    auth = environment(SERVICES["flower"])["RECEIPTQ_FLOWER_BASIC_AUTH"]
    user, _, password = auth.partition(":")
    assert user and password


def test_volumes_and_mounted_files_exist() -> None:
    declared = set(COMPOSE.get("volumes") or {})
    for name, svc in SERVICES.items():
        for mount in svc.get("volumes", []):
            source = interpolate(str(mount)).split(":", 1)[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in declared, f"{name} uses undeclared volume {source}"


def test_watch_reaches_the_api_and_is_opt_in() -> None:
    watch = SERVICES["watch"]
    assert watch["profiles"] == ["watch"], "it needs a key: started on purpose"
    env = environment(watch)
    api = parse(argv(SERVICES["api"]["command"])).params
    assert env["RECEIPTQ_API_URL"] == f"http://api:{api['port']}"
    hosts = environment(SERVICES["api"])["RECEIPTQ_TRUSTED_HOSTS"].split(",")
    assert "api" in hosts, "the API must answer to the Host the watcher sends"
    assert watch["depends_on"]["api"]["condition"] == "service_healthy"
    folder = parse(argv(watch["command"])).params["folder"]
    targets = [interpolate(str(m)).split(":")[1] for m in watch["volumes"]]
    assert str(folder) in targets, "the watched folder is the mounted one"


@pytest.mark.parametrize("name", ["prometheus", "grafana"])
def test_monitoring_is_opt_in(name: str) -> None:
    assert SERVICES[name]["profiles"] == ["monitoring"]


# --- monitoring profile: Prometheus scrapes every part, Grafana shows real metrics ---------

DEPLOY = ROOT / "deploy"
PROMETHEUS = yaml.safe_load((DEPLOY / "prometheus.yml").read_text(encoding="utf-8"))
DASHBOARD_FILE = DEPLOY / "grafana" / "receiptq-dashboard.json"
DASHBOARD = json.loads(DASHBOARD_FILE.read_text(encoding="utf-8"))
PROVISIONING = DEPLOY / "grafana" / "provisioning"
_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
}
# PromQL words that look like metric names: functions, aggregations, keywords.
_PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "rate", "irate", "increase", "deriv", "by",
    "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
    "histogram_quantile", "topk", "bottomk", "abs", "clamp_min", "clamp_max", "offset",
}  # fmt: skip


def scrape_job(name: str) -> dict[str, Any]:
    jobs = {job["job_name"]: job for job in PROMETHEUS["scrape_configs"]}
    assert name in jobs, f"deploy/prometheus.yml has no {name} job (has {sorted(jobs)})"
    assert jobs[name].get("metrics_path", "/metrics") == "/metrics", name
    return jobs[name]


def static_targets(job: dict[str, Any]) -> list[str]:
    return [target for sc in job.get("static_configs", []) for target in sc["targets"]]


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> host path (relative to ROOT) or volume name, for short-form
    `volumes:` entries."""
    found = {}
    for mount in service.get("volumes", []):
        source, target = str(mount).split(":")[:2]
        found[target] = source
    return found


def series_names(families: Any) -> set[str]:
    """The series names a scrape can show for these metric families (a counter named
    `x` is `x_total`, a histogram `x_bucket`, `x_sum`, `x_count`)."""
    names = set()
    for family in families:
        suffixes = _SUFFIXES.get(family.type, ("",))
        names.update(family.name + suffix for suffix in suffixes)
    return names


class _FakeRedis:
    def pipeline(self, transaction: bool = False) -> _FakeRedis:
        self.calls = 0
        return self

    def llen(self, _key: str) -> None:
        self.calls += 1

    def execute(self) -> list[int]:
        return [0] * self.calls


@pytest.fixture(scope="module")
def receiptq_series() -> set[str]:
    """Every receiptq_* series the API's GET /metrics and the worker's exporter can show:
    the module-level metrics of receiptq.metrics plus the queue depth read at scrape time."""
    from prometheus_client.parser import text_string_to_metric_families

    from receiptq import metrics
    from receiptq.api import create_app

    app = create_app(redis_url="redis://127.0.0.1:1/0")
    assert "/metrics" in {rule.rule for rule in app.url_map.iter_rules()}
    response = app.test_client().get("/metrics")  # queue depth absent: no Redis there
    assert response.status_code == 200
    families = list(text_string_to_metric_families(response.get_data(as_text=True)))
    families += metrics.QueueDepthCollector(_FakeRedis(), ["receipts"]).collect()
    return {name for name in series_names(families) if name.startswith("receiptq_")}


@pytest.fixture(scope="module")
def flower_probe() -> dict[str, Any]:
    """Flower as compose runs it (basic auth on), asked over HTTP without credentials."""
    import asyncio

    import tornado.testing
    from celery import Celery
    from flower.app import Flower
    from flower.options import options
    from flower.urls import handlers, settings
    from prometheus_client.parser import text_string_to_metric_families
    from tornado.httpclient import AsyncHTTPClient
    from tornado.httpserver import HTTPServer

    auth = environment(SERVICES["flower"])["RECEIPTQ_FLOWER_BASIC_AUTH"]

    async def probe() -> dict[str, Any]:
        app = Flower(
            capp=Celery(broker="memory://"), options=options, handlers=handlers, **settings
        )
        sock, port = tornado.testing.bind_unused_port()
        server = HTTPServer(app)
        server.add_sockets([sock])
        client = AsyncHTTPClient()
        try:
            result: dict[str, Any] = {}
            for path in ("/metrics", "/healthcheck", "/api/workers"):
                response = await client.fetch(f"http://127.0.0.1:{port}{path}", raise_error=False)
                result[path] = response.code
                if path == "/metrics":
                    result["text"] = response.body.decode()
            return result
        finally:
            server.stop()

    saved = options.basic_auth
    options.basic_auth = auth.split(",")
    try:
        result = asyncio.run(probe())
    finally:
        options.basic_auth = saved
    families = text_string_to_metric_families(result["text"])
    result["series"] = {n for n in series_names(families) if n.startswith("flower_")}
    return result


def test_prometheus_scrapes_the_api() -> None:
    port = parse(argv(SERVICES["api"]["command"])).params["port"]
    assert static_targets(scrape_job("receiptq-api")) == [f"api:{port}"]


def test_prometheus_finds_every_worker_replica() -> None:
    """By DNS (compose answers `worker` with every replica's IP), on the exporter port the
    worker service is given, which it binds on all interfaces."""
    env = environment(SERVICES["worker"])
    port = int(env["RECEIPTQ_WORKER_METRICS_PORT"])
    assert env.get("RECEIPTQ_WORKER_METRICS_ADDR", "0.0.0.0") == "0.0.0.0"
    job = scrape_job("receiptq-worker")
    assert not static_targets(job), "a static target would reach one replica only"
    (sd,) = job["dns_sd_configs"]
    assert sd["names"] == ["worker"] and sd.get("type", "SRV") == "A"
    assert sd["port"] == port
    assert str(port) in [str(p) for p in SERVICES["worker"].get("expose", [])]


def test_prometheus_scrapes_flower(flower_probe: dict[str, Any]) -> None:
    port = parse(argv(SERVICES["flower"]["command"])).params["port"]
    job = scrape_job("flower")
    assert static_targets(job) == [f"flower:{port}"]
    # No basic_auth in the job: Flower serves /metrics without it, even with auth on.
    assert "basic_auth" not in job
    assert flower_probe["/api/workers"] == 401, "basic auth is on for Flower's API"
    assert flower_probe["/metrics"] == 200, "Flower's /metrics now wants basic auth"
    assert flower_probe["/healthcheck"] == 200, "the flower healthcheck has no password"


def test_prometheus_service_mounts_the_config() -> None:
    assert mounts(SERVICES["prometheus"])["/etc/prometheus/prometheus.yml"] == (
        "./deploy/prometheus.yml"
    )


@pytest.mark.parametrize("name", ["api", "worker"])
def test_multi_process_services_have_a_private_metrics_dir(name: str) -> None:
    """prometheus-client's multiprocess mode: a directory per container, in memory, not
    shared with anything (each service empties it when it starts)."""
    svc = SERVICES[name]
    directory = environment(svc)["PROMETHEUS_MULTIPROC_DIR"]
    tmpfs = [str(m).split(":", 1)[0] for m in svc.get("tmpfs", [])]
    assert directory in tmpfs, f"{name}: {directory} is not a tmpfs of its own"
    assert directory not in mounts(svc), f"{name}: {directory} must not be a shared volume"
    temp_dir = environment(svc).get("RECEIPTQ_TEMP_DIR")
    if temp_dir:  # the hourly cleanup empties the temp dir
        assert not directory.startswith(temp_dir.rstrip("/") + "/"), name
    for other in ("flower", "migrate"):
        assert "PROMETHEUS_MULTIPROC_DIR" not in environment(SERVICES[other]), other


def dashboard_exprs() -> list[str]:
    return [
        target["expr"]
        for panel in DASHBOARD["panels"]
        for target in panel.get("targets", [])
        if "expr" in target
    ]


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression: words outside {...} label matchers, quotes
    and [...] ranges that are not PromQL functions, keywords or numbers."""
    bare = re.sub(r'"[^"]*"|\{[^}]*\}|\[[^\]]*\]|\$\w+', " ", expr)
    bare = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", bare)  # label lists
    words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", bare))
    return words - _PROMQL_WORDS


def test_dashboard_queries_use_metrics_that_exist(
    receiptq_series: set[str], flower_probe: dict[str, Any]
) -> None:
    known = receiptq_series | flower_probe["series"]
    exprs = dashboard_exprs()
    assert exprs
    for expr in exprs:
        names = metric_names(expr)
        assert names, f"no metric found in {expr!r}"
        missing = names - known
        assert not missing, f"dashboard query {expr!r} uses {sorted(missing)}: no such metric"


def test_metric_name_parser() -> None:
    assert metric_names(
        "histogram_quantile(0.95, sum by (le, route) "
        '(rate(x_bucket{route!="/m"}[$__rate_interval])))'
        ' / sum(y_total{status="failed"}[1h]) * 60'
    ) == {"x_bucket", "y_total"}


def test_grafana_datasource_is_provisioned_with_the_dashboards_uid() -> None:
    config = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yml").read_text("utf-8"))
    (source,) = config["datasources"]
    assert source["type"] == "prometheus"
    url = urlsplit(source["url"])
    prometheus_port = str(SERVICES["prometheus"]["ports"][0]).rsplit(":", 1)[-1]
    assert (url.hostname, str(url.port)) == ("prometheus", prometheus_port)
    variables = {v["name"]: v for v in DASHBOARD["templating"]["list"]}
    uids = set()
    for panel in DASHBOARD["panels"]:
        for item in [panel, *panel.get("targets", [])]:
            if "datasource" in item:
                assert item["datasource"]["type"] == "prometheus", panel["title"]
                uids.add(item["datasource"]["uid"])
    for uid in uids:
        var = re.fullmatch(r"\$\{(\w+)\}", uid)
        if var:  # a data source variable, defaulting to the provisioned source
            assert variables[var[1]]["type"] == "datasource"
            assert variables[var[1]]["query"] == "prometheus"
            assert variables[var[1]]["current"]["value"] == source["uid"]
        else:
            assert uid == source["uid"]


def test_grafana_provisioning_is_mounted() -> None:
    grafana = mounts(SERVICES["grafana"])
    for kind in ("datasources", "dashboards"):
        assert grafana[f"/etc/grafana/provisioning/{kind}"] == (
            f"./deploy/grafana/provisioning/{kind}"
        )
        assert list((PROVISIONING / kind).glob("*.yml")), f"no {kind} provisioning file"
    config = yaml.safe_load((PROVISIONING / "dashboards" / "receiptq.yml").read_text("utf-8"))
    (provider,) = config["providers"]
    assert provider["type"] == "file"
    path = provider["options"]["path"].rstrip("/")
    dashboards = {t: s for t, s in grafana.items() if t.startswith(path + "/")}
    assert "./" + DASHBOARD_FILE.relative_to(ROOT).as_posix() in dashboards.values()
    assert "id" not in DASHBOARD or DASHBOARD["id"] is None, "provisioned: no fixed id"

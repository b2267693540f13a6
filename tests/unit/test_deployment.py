"""The docker compose deployment, checked statically (no Docker engine, no services).

The stack itself needs Docker to run; these tests hold its files to the code they
deploy: the settings the worker reads, its web port, the metrics it exports, and
the CLIs the compose services call.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from config import Settings
from tests.dashboard_queries import (
    DASHBOARD,
    dashboard,
    dashboard_base_names,
    expressions,
    metric_names,
    walk,
)

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "config" / "deploy"
DATASOURCES = DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml"
DASHBOARD_PROVIDERS = DEPLOY / "grafana" / "provisioning" / "dashboards" / "omni.yml"

SERVICES = ("kafka", "redis", "topics", "worker", "generator", "prometheus", "grafana")
APP_SERVICES = ("topics", "worker", "generator")
# ${NAME:?message}: Compose refuses to start when NAME is unset or empty.
REQUIRED_VARIABLE = re.compile(r"^\$\{(?P<name>[A-Z][A-Z0-9_]*):\?[^}]+\}$")
SECRET_NAME = re.compile(r"TOKEN|PASSWORD|SECRET")
# The panels the operators asked for, verbatim (whitespace aside).
REQUIRED_QUERIES = (
    "sum(rate(omni_records_consumed_total[1m])) by (topic)",
    "sum(rate(omni_events_consumed_total[1m])) by (type)",
    "sum(rate(omni_deadletters_total[5m])) by (reason)",
    "histogram_quantile(0.5, sum(rate(omni_batch_processing_seconds_bucket[5m])) by (le))",
    "histogram_quantile(0.95, sum(rate(omni_batch_processing_seconds_bucket[5m])) by (le))",
    "histogram_quantile(0.99, sum(rate(omni_batch_processing_seconds_bucket[5m])) by (le))",
    "histogram_quantile(0.5, sum(rate(omni_event_to_trigger_seconds_bucket[5m])) by (le))",
    "histogram_quantile(0.95, sum(rate(omni_event_to_trigger_seconds_bucket[5m])) by (le))",
    "histogram_quantile(0.99, sum(rate(omni_event_to_trigger_seconds_bucket[5m])) by (le))",
    "sum(rate(omni_triggers_emitted_total[5m])) by (type)",
    "sum(rate(omni_triggers_emitted_total[5m])) by (channel)",
    "sum(rate(omni_triggers_suppressed_total[5m])) by (reason)",
    'sum(rate(omni_triggers_suppressed_total{reason=~"capped|cooldown"}[5m])) by (reason)',
    "sum(omni_consumer_lag) by (topic)",
    "sum(omni_timers_pending)",
    "histogram_quantile(0.99, sum(rate(omni_redis_operation_seconds_bucket[5m]))"
    " by (le, operation))",
    "histogram_quantile(0.99, sum(rate(omni_api_request_seconds_bucket[5m])) by (le, route))",
    'sum(rate(omni_api_request_seconds_count{status=~"5.."}[5m])) by (route)',
    "sum(omni_worker_up)",
)


# ---- loading -------------------------------------------------------------------------


@cache
def compose() -> dict[str, Any]:
    document = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert isinstance(document, dict)
    return document


def service(name: str) -> dict[str, Any]:
    found = compose()["services"][name]
    assert isinstance(found, dict)
    return found


def environment(name: str) -> dict[str, str]:
    """A service's environment as strings, from either the map or the list form."""
    env = service(name).get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def command_line(name: str) -> list[str]:
    """entrypoint + command of a service, as one argument list."""
    words: list[str] = []
    for key in ("entrypoint", "command"):
        value = service(name).get(key) or []
        words += value.split() if isinstance(value, str) else [str(word) for word in value]
    return words


def volumes(name: str) -> list[tuple[str, str]]:
    """(source, target) of a service's short-syntax volumes."""
    mounts = []
    for entry in service(name).get("volumes", []):
        if isinstance(entry, dict):
            mounts.append((str(entry.get("source", "")), str(entry["target"])))
        else:
            source, target = str(entry).split(":")[:2]
            mounts.append((source, target))
    return mounts


def bind_mounts(name: str) -> dict[str, Path]:
    """container path -> repository path, for a service's bind mounts of repository files."""
    return {
        target: (REPO / source).resolve()
        for source, target in volumes(name)
        if source.startswith(("./", "../"))
    }


def depends_on(name: str) -> dict[str, str]:
    """dependency -> condition (``service_started`` for the list form)."""
    deps = service(name).get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {dep: spec.get("condition", "service_started") for dep, spec in deps.items()}


def healthcheck_text(name: str) -> str:
    test = service(name).get("healthcheck", {}).get("test", [])
    return test if isinstance(test, str) else " ".join(str(word) for word in test)


@cache
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in (REPO / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def dockerfile_args(keyword: str) -> list[str]:
    return [arguments for instruction, arguments in dockerfile() if instruction == keyword]


@cache
def metrics_source_names() -> set[str]:
    """Metric names defined in streams/metrics.py, read as text: f"{PREFIX}_..."."""
    source = (REPO / "streams" / "metrics.py").read_text()
    prefix = re.search(r'^PREFIX = "([a-z]+)"$', source, re.MULTILINE)
    assert prefix is not None, "streams/metrics.py no longer defines PREFIX"
    return {f"{prefix[1]}_{name}" for name in re.findall(r'f"\{PREFIX\}_([a-z_]+)"', source)}


def known_variables() -> set[str]:
    return {variable for variable, _default, _doc in Settings.documentation()} | {"API_TOKEN"}


WEB_PORT = Settings().web_port


# ---- docker-compose.yml ---------------------------------------------------------------


def test_compose_follows_the_compose_spec_and_has_every_service() -> None:
    assert "version" not in compose(), "the Compose spec has no `version:` key"
    assert set(SERVICES) <= set(compose()["services"])


def test_kafka_is_a_single_node_kraft_broker_with_an_external_listener() -> None:
    kafka = service("kafka")
    env = environment("kafka")
    assert kafka["image"].startswith("apache/kafka:")
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    node_id = env["KAFKA_NODE_ID"]
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{node_id}@kafka:9093"
    listeners = env["KAFKA_LISTENERS"].split(",")
    assert "PLAINTEXT://:9092" in listeners and "EXTERNAL://:29092" in listeners
    advertised = env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    assert {"PLAINTEXT://kafka:9092", "EXTERNAL://localhost:29092"} <= set(advertised)
    protocols = dict(
        pair.split(":") for pair in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    assert {name.split(":")[0] for name in listeners} <= set(protocols)
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] in protocols
    assert "29092:29092" in [str(port) for port in kafka["ports"]]
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    check = healthcheck_text("kafka")
    assert "/opt/kafka/bin/kafka-broker-api-versions.sh" in check
    assert "--bootstrap-server localhost:9092" in check


def test_redis_persists_with_an_append_only_file() -> None:
    redis = service("redis")
    assert redis["image"] == "redis:7-alpine"
    command = command_line("redis")
    assert "--appendonly" in command
    assert command[command.index("--appendonly") + 1] == "yes"
    assert "redis-cli ping" in healthcheck_text("redis")


def test_kafka_and_redis_keep_their_data_in_named_volumes() -> None:
    declared = set(compose().get("volumes") or {})
    kafka_data = dict((target, source) for source, target in volumes("kafka"))
    redis_data = dict((target, source) for source, target in volumes("redis"))
    log_dir = environment("kafka")["KAFKA_LOG_DIRS"]
    assert kafka_data[log_dir] in declared, "Kafka's log dir must be a declared named volume"
    assert redis_data["/data"] in declared, "Redis's /data must be a declared named volume"


def test_app_services_run_the_image_built_from_the_dockerfile() -> None:
    images = set()
    for name in APP_SERVICES:
        build = service(name)["build"]
        context = build if isinstance(build, str) else build.get("context", ".")
        dockerfile_name = "Dockerfile" if isinstance(build, str) else build.get("dockerfile")
        assert (REPO / context / (dockerfile_name or "Dockerfile")).is_file()
        images.add(service(name).get("image"))
    assert len(images) == 1, f"one image for {APP_SERVICES}, got {images}"
    # The image's HEALTHCHECK probes the worker's web server: one-shot jobs turn it off.
    for name in ("topics", "generator"):
        assert service(name)["healthcheck"] == {"disable": True}


def test_worker_has_no_host_port_and_exposes_the_web_port() -> None:
    worker = service("worker")
    assert "ports" not in worker, "a fixed host port breaks `--scale worker=N`"
    assert "container_name" not in worker, "a fixed name breaks `--scale worker=N`"
    assert [str(port) for port in worker["expose"]] == [str(WEB_PORT)]
    env = environment("worker")
    assert env["WEB_PORT"] == str(WEB_PORT)
    assert env["WEB_HOST"] == "0.0.0.0"
    assert env["KAFKA_BROKER"] == "kafka:9092"
    assert env["REDIS_URL"] == "redis://redis:6379/0"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_set_only_variables_the_settings_know(name: str) -> None:
    unknown = set(environment(name)) - known_variables()
    assert not unknown, f"{name} sets variables no setting reads: {sorted(unknown)}"


def test_secrets_come_from_the_environment_and_are_required() -> None:
    token = REQUIRED_VARIABLE.match(environment("worker")["API_TOKEN"])
    assert token is not None and token["name"] == "API_TOKEN"
    password = REQUIRED_VARIABLE.match(environment("grafana")["GF_SECURITY_ADMIN_PASSWORD"])
    assert password is not None and password["name"] == "GRAFANA_ADMIN_PASSWORD"
    for name in compose()["services"]:
        for variable, value in environment(name).items():
            if SECRET_NAME.search(variable):
                assert REQUIRED_VARIABLE.match(value), f"{name}: {variable} is a literal"


def test_worker_starts_after_the_topics_exist_and_redis_answers() -> None:
    deps = depends_on("worker")
    assert deps["topics"] == "service_completed_successfully"
    assert deps["redis"] == "service_healthy"


def test_topics_job_runs_once_with_the_worker_partition_count() -> None:
    topics = service("topics")
    assert command_line("topics")[:3] == ["python", "-m", "streams.kafka.topics"]
    assert topics["restart"] == "no"
    assert depends_on("topics") == {"kafka": "service_healthy"}
    env = environment("topics")
    assert env["KAFKA_BROKER"] == environment("worker")["KAFKA_BROKER"]
    assert env["TOPIC_PARTITIONS"] == environment("worker")["TOPIC_PARTITIONS"] == "12"


def test_generator_is_a_demo_service_whose_arguments_the_cli_accepts() -> None:
    assert service("generator")["profiles"] == ["demo"]
    words = command_line("generator")
    assert words[:3] == ["python", "-m", "streams.local.generator"]
    assert words[3:] == ["--loop", "--rate", "200", "--bootstrap", "kafka:9092"]
    usage = subprocess.run(
        [sys.executable, "-m", "streams.local.generator", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    for flag in (word for word in words[3:] if word.startswith("--")):
        assert flag in usage, f"streams.local.generator has no {flag} option"


def test_monitoring_mounts_files_that_exist_in_the_repository() -> None:
    for name in ("prometheus", "grafana"):
        mounts = bind_mounts(name)
        assert mounts, f"{name} mounts nothing from the repository"
        for target, source in mounts.items():
            assert source.exists(), f"{name}: {target} mounts missing {source}"
            assert DEPLOY.resolve() in source.parents, f"{name} mounts {source} outside deploy/"
    prometheus = bind_mounts("prometheus")
    assert prometheus["/etc/prometheus/prometheus.yml"] == (DEPLOY / "prometheus.yml").resolve()
    grafana = bind_mounts("grafana")
    assert grafana["/etc/grafana/provisioning/datasources"] == DATASOURCES.parent.resolve()
    assert grafana["/etc/grafana/provisioning/dashboards"] == DASHBOARD_PROVIDERS.parent.resolve()
    assert grafana["/var/lib/grafana/dashboards"] == DASHBOARD.parent.resolve()
    assert "9090:9090" in [str(port) for port in service("prometheus")["ports"]]
    assert "3000:3000" in [str(port) for port in service("grafana")["ports"]]


def test_prometheus_scrapes_every_worker_replica_on_the_web_port() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    jobs = [job for job in config["scrape_configs"] if "dns_sd_configs" in job]
    assert len(jobs) == 1
    job = jobs[0]
    assert job["scrape_interval"] == "5s"
    assert job.get("metrics_path", "/metrics") == "/metrics"
    (discovery,) = job["dns_sd_configs"]
    assert discovery["names"] == ["worker"]
    assert discovery["type"] == "A"
    assert discovery["port"] == int(environment("worker")["WEB_PORT"]) == WEB_PORT


def test_grafana_provisions_the_prometheus_datasource_and_the_dashboards() -> None:
    (datasource,) = yaml.safe_load(DATASOURCES.read_text())["datasources"]
    assert datasource["type"] == "prometheus"
    assert datasource["url"] == "http://prometheus:9090"
    (provider,) = yaml.safe_load(DASHBOARD_PROVIDERS.read_text())["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    assert bind_mounts("grafana")[provider["options"]["path"]] == DASHBOARD.parent.resolve()
    used = {
        value["uid"]
        for key, value in walk(dashboard())
        if key == "datasource" and isinstance(value, dict)
    }
    assert used == {datasource["uid"]}, "panels must name the provisioned datasource by uid"
    home = environment("grafana").get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
    if home:
        assert (DASHBOARD.parent / Path(home).name).is_file()


# ---- Dockerfile and .dockerignore -----------------------------------------------------


def test_dockerfile_builds_a_small_multi_stage_image() -> None:
    defaults = dict(
        arguments.split("=", 1) for arguments in dockerfile_args("ARG") if "=" in arguments
    )
    bases = [
        re.sub(r"\$\{(\w+)\}", lambda m: defaults[m[1]], arguments.split()[0])
        for arguments in dockerfile_args("FROM")
    ]
    assert len(bases) >= 2, "multi-stage: build wheels, then copy them"
    assert set(bases) == {"python:3.11-slim"}
    runs = " ".join(dockerfile_args("RUN"))
    assert "pip wheel" in runs and "--no-index" in runs
    assert "[dev" not in runs and "[embedded" not in runs, "only the runtime dependencies"
    assert "/wheels" in runs


def test_dockerfile_runs_the_worker_as_a_non_root_user() -> None:
    users = dockerfile_args("USER")
    assert users, "no USER: the worker would run as root"
    assert users[-1].split(":")[0] not in ("root", "0")
    assert json.loads(dockerfile_args("ENTRYPOINT")[-1]) == ["python", "-m", "streams.worker"]
    env = " ".join(dockerfile_args("ENV"))
    assert "WEB_HOST=0.0.0.0" in env.split()


def test_dockerfile_exposes_and_health_checks_the_web_port() -> None:
    assert [int(port) for port in dockerfile_args("EXPOSE")] == [WEB_PORT]
    (check,) = dockerfile_args("HEALTHCHECK")
    assert "CMD" in check and "urllib" in check and "curl" not in check
    assert "http://127.0.0.1:" in check and "/health" in check
    assert str(WEB_PORT) in check


def test_dockerignore_keeps_the_build_context_small_and_secret_free() -> None:
    patterns = {
        line.strip().rstrip("/")
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", ".git", ".run", "tests", ".env"} <= patterns
    assert {".pytest_cache", ".mypy_cache", ".ruff_cache"} <= patterns
    assert "**/__pycache__" in patterns or "__pycache__" in patterns


# ---- the dashboard --------------------------------------------------------------------


def test_dashboard_has_the_four_rows_and_a_tidy_grid() -> None:
    panels = dashboard()["panels"]
    rows = [panel["title"] for panel in panels if panel["type"] == "row"]
    assert rows == ["Flow", "Latency", "Triggers", "Health"]
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids))
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["w"] > 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] != "row":
            assert panel["targets"], f"{panel['title']} queries nothing"
    assert dashboard()["uid"] and dashboard()["title"]


def test_dashboard_has_every_panel_the_operators_asked_for() -> None:
    have = {" ".join(expr.split()) for expr in expressions()}
    missing = [query for query in REQUIRED_QUERIES if query not in have]
    assert not missing


def test_dashboard_expressions_are_well_formed() -> None:
    pairs = {")": "(", "]": "[", "}": "{"}
    for expr in expressions():
        stack: list[str] = []
        for char in re.sub(r'"[^"]*"', '""', expr):  # brackets inside label values don't count
            if char in "([{":
                stack.append(char)
            elif char in pairs:
                assert stack and stack.pop() == pairs[char], expr
        assert not stack, expr
        assert metric_names(expr), f"no omni_ metric in {expr}"


@pytest.mark.parametrize("metric", dashboard_base_names())
def test_dashboard_metric_is_defined_in_streams_metrics(metric: str) -> None:
    assert metric in metrics_source_names(), f"{metric} is not defined in streams/metrics.py"


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_prometheus_config_and_every_dashboard_query(
    tmp_path: Path,
) -> None:
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:query_{n}", "expr": expr}
                    for n, expr in enumerate(expressions())
                ],
            }
        ]
    }
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules))
    for args in (["check", "rules", str(tmp_path / "rules.yml")], ["check", "config"]):
        if args[1] == "config":
            args.append(str(DEPLOY / "prometheus.yml"))
        checked = subprocess.run(
            ["promtool", *args], capture_output=True, text=True, timeout=60, check=False
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


# ---- Makefile and README --------------------------------------------------------------


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize(
    ("target", "command"),
    [
        ("up", "docker compose up -d --build"),
        ("down", "docker compose down"),
        ("logs", "docker compose logs -f"),
    ],
)
def test_make_target_drives_docker_compose_without_the_venv(target: str, command: str) -> None:
    dry_run = subprocess.run(
        ["make", "--no-print-directory", "-n", target],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert dry_run.stdout.strip().splitlines() == [command]


def test_readme_documents_the_stack_right_before_the_tests() -> None:
    readme = (REPO / "README.md").read_text()
    heading = "## Running the full stack (docker compose)"
    assert readme.index(heading) < readme.index("\n## Tests\n")
    section = readme[readme.index(heading) : readme.index("\n## Tests\n")]
    for needle in (
        "API_TOKEN",
        "GRAFANA_ADMIN_PASSWORD",
        "make up",
        "--scale worker=3",
        "--profile demo up -d generator",
        "localhost:3000",
        "localhost:9090",
        "localhost:29092",
        "make logs",
        "make down",
    ):
        assert needle in section, needle

"""docker-compose.yml: the services, their images, volumes, ports and start order."""

from __future__ import annotations

import subprocess
import sys

from tests.unit.deployment_support import (
    APP_SERVICES,
    REPO,
    WEB_PORT,
    command_line,
    compose,
    depends_on,
    environment,
    healthcheck_text,
    service,
    volumes,
)

SERVICES = ("kafka", "redis", "topics", "worker", "api", "generator", "prometheus", "grafana")


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
    assert "${PUBLISH_ADDRESS:-127.0.0.1}:29092:29092" in [str(port) for port in kafka["ports"]]
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


def test_api_servers_scale_like_workers_on_the_same_redis_and_secrets() -> None:
    api, worker = service("api"), service("worker")
    assert command_line("api")[:3] == ["python", "-m", "streams.api_server"]
    assert "ports" not in api and "container_name" not in api
    assert [str(port) for port in api["expose"]] == [str(WEB_PORT)]
    env = environment("api")
    for name in ("REDIS_URL", "WEB_HOST", "WEB_PORT", "API_TOKEN", "ERASURE_SALT"):
        assert env[name] == environment("worker")[name], name
    assert depends_on("api") == {"redis": "service_healthy"}
    assert api["restart"] == worker["restart"]


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

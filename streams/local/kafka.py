"""Apache Kafka without Docker: the broker's jars from Maven Central, one KRaft node.

``config/kafka/pom.xml`` names the broker (the version of ``docker-compose.yml``)
and its runtime; Maven copies them once into ``.run/kafka/<version>/lib`` (ignored
by git), then each broker formats its own log dir and runs as a combined
broker and controller on free loopback ports, configured as the compose file's
(no topic auto-creation, fast first group join). Needs ``java`` (17+) and ``mvn``.
"""

from __future__ import annotations

import base64
import fcntl
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from streams.local.services import (
    EmbeddedService,
    ServiceStartError,
    free_port,
    stop_process,
    wait_for_port,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
POM = REPO_ROOT / "config" / "kafka" / "pom.xml"
LOG4J = REPO_ROOT / "config" / "kafka" / "log4j.properties"
KAFKA_VERSION = "3.9.0"
# Enough for tests and the bench on a 2-core machine; the JVM default takes a quarter of RAM.
HEAP = "-Xmx512m"


def missing_tools() -> list[str]:
    """What this machine lacks to run Apache Kafka (empty: nothing)."""
    return [tool for tool in ("java", "mvn") if shutil.which(tool) is None]


def kafka_classpath(cache: Path | None = None) -> str:
    """The broker's classpath, fetched by Maven on first use (about 60 MB, once).

    Processes that start brokers side by side (the test suite's parallel workers on a
    fresh clone) take a lock, so one fetches and the others wait for its result."""
    lib = (cache or REPO_ROOT / ".run" / "kafka" / KAFKA_VERSION) / "lib"
    done = lib / ".complete"
    if done.exists():
        return f"{lib}/*"
    missing = missing_tools()
    if missing:
        raise ServiceStartError(f"Apache Kafka needs {' and '.join(missing)} on PATH")
    lib.mkdir(parents=True, exist_ok=True)
    with (lib.parent / ".fetching").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            _fetch(lib)
            done.touch()
    return f"{lib}/*"


def _fetch(lib: Path) -> None:
    fetch = subprocess.run(
        [
            "mvn",
            "-q",
            "-B",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={lib}",
            "-DincludeScope=runtime",
        ],
        capture_output=True,
        timeout=600,
        check=False,
    )
    if fetch.returncode != 0:
        output = (fetch.stdout + fetch.stderr).decode(errors="replace")[-2000:]
        raise ServiceStartError(f"mvn could not fetch Apache Kafka {KAFKA_VERSION}:\n{output}")


@dataclass(frozen=True)
class SecuredListeners:
    """SASL listeners beside PLAINTEXT: SASL_PLAINTEXT, and SASL_SSL with a PEM keystore
    (key and certificate chain in one file) signed by the test's CA."""

    users: Mapping[str, str]  # name -> password, for PLAIN and both SCRAM mechanisms
    keystore: Path | None = None


def _listeners(port: int, controller_port: int, ports: Mapping[str, int]) -> list[str]:
    named = {"PLAINTEXT": port, **ports}
    listeners = ",".join(f"{name}://127.0.0.1:{p}" for name, p in named.items())
    protocols = ",".join(f"{name}:{name}" for name in named)
    return [
        f"listeners={listeners},CONTROLLER://127.0.0.1:{controller_port}",
        f"advertised.listeners={listeners}",
        f"listener.security.protocol.map={protocols},CONTROLLER:PLAINTEXT",
    ]


def _sasl(secured: SecuredListeners, ports: Mapping[str, int]) -> list[str]:
    plain_users = " ".join(f'user_{name}="{password}"' for name, password in secured.users.items())
    lines = ["sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512"]
    for listener in ports:
        prefix = f"listener.name.{listener.lower()}"
        lines += [
            f"{prefix}.plain.sasl.jaas.config="
            f"org.apache.kafka.common.security.plain.PlainLoginModule required {plain_users};",
            f"{prefix}.scram-sha-256.sasl.jaas.config="
            "org.apache.kafka.common.security.scram.ScramLoginModule required;",
            f"{prefix}.scram-sha-512.sasl.jaas.config="
            "org.apache.kafka.common.security.scram.ScramLoginModule required;",
        ]
    if secured.keystore is not None:
        lines += ["ssl.keystore.type=PEM", f"ssl.keystore.location={secured.keystore}"]
    return lines


def server_properties(
    node_dir: Path,
    port: int,
    controller_port: int,
    ports: Mapping[str, int] | None = None,
    secured: SecuredListeners | None = None,
) -> str:
    ports = ports or {}
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{controller_port}",
            *_listeners(port, controller_port, ports),
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            *(_sasl(secured, ports) if secured else []),
            f"log.dirs={node_dir / 'data'}",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=8",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "auto.create.topics.enable=false",
            "num.partitions=1",
            "",
        ]
    )


def start_kafka(
    log_dir: Path, timeout_s: float = 90.0, secured: SecuredListeners | None = None
) -> EmbeddedService:
    """One KRaft node with its own log dir (deleted on stop), ready for clients. With
    ``secured``, also SASL_PLAINTEXT (and SASL_SSL with a keystore) listeners, whose
    ports are in ``service.ports``."""
    classpath = kafka_classpath()
    port, controller_port = free_port(), free_port()
    ports: dict[str, int] = {}
    if secured is not None:
        ports["SASL_PLAINTEXT"] = free_port()
        if secured.keystore is not None:
            ports["SASL_SSL"] = free_port()
    node_dir = Path(tempfile.mkdtemp(prefix="kafka-", dir=log_dir))
    properties = node_dir / "server.properties"
    properties.write_text(server_properties(node_dir, port, controller_port, ports, secured))
    java = _java(classpath)
    cluster_id = _cluster_id()
    scram = [
        arg
        for name, password in (secured.users.items() if secured else ())
        for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-512")
        for arg in ("--add-scram", f"{mechanism}=[name={name},password={password}]")
    ]
    storage = ["kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(properties)]
    formatted = subprocess.run(
        [*java, *storage, *scram],
        capture_output=True,
        timeout=120,
        check=False,
    )
    if formatted.returncode != 0:
        shutil.rmtree(node_dir, ignore_errors=True)
        output = (formatted.stdout + formatted.stderr).decode(errors="replace")[-2000:]
        raise ServiceStartError(f"kafka: formatting the log dir failed:\n{output}")
    log_path = log_dir / f"kafka-{port}.log"
    process = _launch(java, node_dir, log_path)
    service = EmbeddedService("kafka", process, port, log_path, node_dir, ports)
    _wait_until_serving(service, timeout_s)
    return service


def restart_kafka(service: EmbeddedService, down_s: float = 0.0, timeout_s: float = 90.0) -> float:
    """Stop the node cleanly, keep its log dir and ports, start it again; the seconds it
    took to serve again. ``down_s``: how long it stays down (the fault's length)."""
    assert service.workdir is not None, "a Kafka node owns its log dir"
    stop_process(service.process, grace_s=30.0)
    time.sleep(down_s)
    started = time.monotonic()
    service.process = _launch(_java(kafka_classpath()), service.workdir, service.log_path)
    _wait_until_serving(service, timeout_s)
    return time.monotonic() - started


def _java(classpath: str) -> list[str]:
    return ["java", HEAP, f"-Dlog4j.configuration=file:{LOG4J}", "-cp", classpath]


def _launch(java: list[str], node_dir: Path, log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [*java, "kafka.Kafka", str(node_dir / "server.properties")],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "KAFKA_HEAP_OPTS": HEAP},
        )


def _wait_until_serving(service: EmbeddedService, timeout_s: float) -> None:
    try:
        wait_for_port("127.0.0.1", service.port, timeout_s, service.process)
        _wait_for_metadata(f"127.0.0.1:{service.port}", timeout_s, service.process)
    except ServiceStartError as exc:
        service.stop()
        raise ServiceStartError(f"kafka: {exc}\n{service.log_tail()}") from exc


def _wait_for_metadata(bootstrap: str, timeout_s: float, process: subprocess.Popen[bytes]) -> None:
    """The port opens before the controller has elected itself: wait for a metadata answer."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServiceStartError(f"process exited with code {process.returncode}")
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2000)
        except KafkaError:
            time.sleep(0.2)
            continue
        try:
            admin.list_topics()
            return
        except KafkaError:
            time.sleep(0.2)
        finally:
            admin.close()
    raise ServiceStartError(f"no metadata from {bootstrap} after {timeout_s:.0f}s")


def _cluster_id() -> str:
    """A KRaft cluster id: a random UUID in URL-safe base64, as ``kafka-storage
    random-uuid`` makes. Like Kafka's ``Uuid.randomUuid``, never one starting with
    ``-``, which the storage tool would read as an option (1 start in 64 failed)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id

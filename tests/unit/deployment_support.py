"""Readers of the docker compose deployment shared by its tests (no tests of its own).

The stack itself needs Docker to run; the deployment tests check its files
statically (no Docker engine, no services) and hold them to the code they
deploy: the settings the worker reads, its web port, the metrics it exports,
and the CLIs the compose services call.
"""

from __future__ import annotations

import os
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from config import Settings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "config" / "deploy"
DATASOURCES = DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml"
DASHBOARD_PROVIDERS = DEPLOY / "grafana" / "provisioning" / "dashboards" / "omni.yml"


APP_SERVICES = ("topics", "worker", "api", "generator")


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


WEB_PORT = Settings().web_port


def require_promtool() -> str:
    """promtool (Debian's prometheus package; .ci/run installs it): a failure under CI."""
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("promtool is missing under CI (Debian package prometheus)")
        pytest.skip("promtool is not installed (Debian package prometheus)")
    return found

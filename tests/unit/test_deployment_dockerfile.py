"""The Dockerfile and .dockerignore: a small, non-root image that health-checks the worker."""

from __future__ import annotations

import json
import re
from functools import cache

from tests.unit.deployment_support import REPO, WEB_PORT


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

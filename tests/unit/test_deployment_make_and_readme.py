"""How operators drive the stack: the make targets and the README section that documents it."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.unit.deployment_support import REPO


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

"""Headless Chromium for the console's browser tests: Debian's ``/usr/bin/chromium``
driven by playwright (no browser download). Under ``CI=true`` a missing Chromium or
playwright fails the run; elsewhere the tests are skipped with the reason."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.brokers import under_ci
from tests.integration.harness import REPO_ROOT

CHROMIUM = os.environ.get("CONSOLE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = REPO_ROOT / ".run" / "artifacts" / "console"
# A 1366x768 laptop screen: the console must be readable there.
VIEWPORT = {"width": 1366, "height": 768}


def _unavailable(message: str) -> None:
    if under_ci():
        pytest.fail(f"browser tests need it under CI: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -e '.[dev]'")
    if shutil.which(CHROMIUM) is None:
        _unavailable(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def screenshot(report_figure: Callable[[str], None]) -> Callable[[Any, str], Path]:
    """Saves a full-page screenshot as an artifact; the run's figures name the folder."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    report_figure(f"console screenshots: {ARTIFACTS}")

    def take(page: Any, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take

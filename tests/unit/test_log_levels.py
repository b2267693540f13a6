"""Library loggers stay at LOG_LEVEL_LIBRARIES whatever LOG_LEVEL says.

Each case runs in a child interpreter: the worker's set-up replaces the process's
logging configuration (mode clears the root handlers), which pytest's own capture
must keep.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

# What the worker does: levels at start-up, then faust's worker (mode) installs its
# logging with our config merged in; then one debug and one info line per logger.
SCRIPT = """
import json, logging, sys
from mode.utils.logging import setup_logging
from config import Settings
from streams import log_levels

settings = Settings.from_env({"LOG_LEVEL": sys.argv[1], "LOG_LEVEL_LIBRARIES": sys.argv[2]})
names = sys.argv[3:]
log_levels.configure(settings)
early = {name: logging.getLogger(name).getEffectiveLevel() for name in names}
setup_logging(
    loglevel=log_levels.handler_level(settings),
    logging_config=log_levels.faust_logging_config(settings),
)
late = {name: logging.getLogger(name).getEffectiveLevel() for name in names}
for name in names:
    logging.getLogger(name).debug("debug-line-of %s.", name)
    logging.getLogger(name).info("info-line-of %s.", name)
print(json.dumps({"early": early, "late": late}))
"""

LIBRARIES = [
    "aiokafka.consumer.fetcher",
    "kafka.net.connection",
    "faust.transport.drivers.aiokafka",
    "mode.services",
    "aiohttp.server",
    "redis.asyncio.connection",
    "asyncio",
    "some.library.nobody.listed",
]
OWN = ["streams.pipeline.ingest", "streams.web.middleware", "models.parsing", "config.settings"]


def run(log_level: str, libraries: str) -> tuple[dict[str, dict[str, int]], str]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, log_level, libraries, *LIBRARIES, *OWN],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout), done.stderr  # the log handler writes to stderr


def test_debug_for_the_engine_keeps_the_libraries_at_info() -> None:
    levels, output = run("debug", "info")
    for phase in ("early", "late"):
        assert {name: levels[phase][name] for name in LIBRARIES} == dict.fromkeys(LIBRARIES, 20)
        assert {name: levels[phase][name] for name in OWN} == dict.fromkeys(OWN, 10)
    for name in LIBRARIES:
        assert f"debug-line-of {name}." not in output and f"info-line-of {name}." in output
    for name in OWN:
        assert f"debug-line-of {name}." in output


def test_library_debug_needs_its_own_setting() -> None:
    levels, output = run("info", "debug")
    assert {name: levels["late"][name] for name in LIBRARIES} == dict.fromkeys(LIBRARIES, 10)
    assert {name: levels["late"][name] for name in OWN} == dict.fromkeys(OWN, 20)
    assert "debug-line-of aiokafka.consumer.fetcher." in output
    assert "debug-line-of streams.pipeline.ingest." not in output


def test_a_quieter_engine_level_does_not_silence_library_warnings_below_it() -> None:
    levels, output = run("error", "warning")
    assert levels["late"]["aiokafka.consumer.fetcher"] == 30
    assert levels["late"]["streams.pipeline.ingest"] == 40
    assert "info-line-of" not in output


@pytest.mark.parametrize("var", ["LOG_LEVEL", "LOG_LEVEL_LIBRARIES"])
def test_an_unknown_level_is_a_configuration_error(var: str) -> None:
    from config import ConfigError, Settings

    with pytest.raises(ConfigError, match=var):
        Settings.from_env({var: "verbose"})

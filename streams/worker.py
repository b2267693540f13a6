"""Worker entry point: ``python -m streams.worker``. Configured by env vars only."""

from __future__ import annotations

import logging

import faust

from config import ConfigError, Settings
from models.offers.rules_file import RulesError
from streams.app import create_app
from streams.topics import ensure_topics


def main() -> int:
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"configuration error: {exc}")
        return 2
    logging.basicConfig(level=settings.log_level.upper())
    ensure_topics(settings)
    try:
        app = create_app(settings)
    except RulesError as exc:
        print(f"offer rules error: {exc}")
        return 2
    worker = faust.Worker(app, loglevel=settings.log_level)
    worker.execute_from_commandline()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Worker entry point: ``python -m streams.worker``. Configured by env vars only."""

from __future__ import annotations

import sys

import faust

from config import ConfigError, Settings
from models.offers.rules_file import RulesError
from streams import log_levels
from streams.app import create_app
from streams.kafka.topics import ensure_topics


def main() -> int:
    try:
        settings = Settings.from_env()
        settings.require_erasure_salt()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    log_levels.configure(settings)
    try:
        app = create_app(settings)  # validates the offer rules before touching Kafka
    except RulesError as exc:
        print(f"offer rules error: {exc}", file=sys.stderr)
        return 2
    ensure_topics(settings)
    worker = faust.Worker(
        app,
        loglevel=log_levels.handler_level(settings),
        logging_config=log_levels.faust_logging_config(settings),
    )
    worker.execute_from_commandline()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

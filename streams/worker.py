"""Worker entry point: ``python -m streams.worker``. Configured by env vars only."""

from __future__ import annotations

import asyncio
import sys

import faust

from config import ConfigError, Settings
from models.offers.rules_file import RulesError
from streams import log_levels
from streams.app import create_app
from streams.kafka.topics import ensure_topics


class Worker(faust.Worker):
    async def _sentinel_task(self) -> None:
        # mode gives the loop a whole second before closing it. By then the app has
        # stopped (offsets committed, group left, producer flushed); the last transport
        # callbacks need a few turns of the loop, and a stop (every restart, every
        # rebalance of a rolling deploy, every test) is a second shorter.
        await asyncio.sleep(0.05)


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
    worker = Worker(
        app,
        loglevel=log_levels.handler_level(settings),
        logging_config=log_levels.faust_logging_config(settings),
    )
    worker.execute_from_commandline()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Log levels of the worker: our own loggers follow ``LOG_LEVEL``, every library's
``LOG_LEVEL_LIBRARIES``.

At debug level the Kafka clients (aiokafka, kafka-python) log whole requests and
fetched records, and faust, mode and aiohttp log what they handle: customer ids and
emails, in clear. Turning ``LOG_LEVEL=debug`` on to look at the engine must not start
writing them, so libraries stay at ``LOG_LEVEL_LIBRARIES`` (default info) unless that
is lowered too, on purpose.

Anything that is not ours is a library: the root logger carries the library level and
our packages override it, so a library we never heard of is covered as well.
"""

from __future__ import annotations

import logging
from typing import Any

from config import Settings

OWN_LOGGERS = ("streams", "models", "config")


def own_level(settings: Settings) -> int:
    return logging.getLevelNamesMapping()[settings.log_level.upper()]


def library_level(settings: Settings) -> int:
    return logging.getLevelNamesMapping()[settings.log_level_libraries.upper()]


def handler_level(settings: Settings) -> int:
    """What the output handler lets through: the lower of the two, loggers filter the rest."""
    return min(own_level(settings), library_level(settings))


def configure(settings: Settings) -> None:
    """Levels for the start-up, before faust's worker installs its own logging."""
    logging.basicConfig(level=handler_level(settings))
    logging.getLogger().setLevel(library_level(settings))
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(own_level(settings))


def faust_logging_config(settings: Settings) -> dict[str, Any]:
    """The same levels as a ``logging_config`` for ``faust.Worker``.

    mode's worker replaces the logging configuration when it starts (root level and
    handler at the worker's ``loglevel``); ``merge`` keeps its handlers and formatters
    and lays these levels over them.
    """
    return {
        "merge": True,
        "version": 1,
        "root": {"level": library_level(settings)},
        "loggers": {name: {"level": own_level(settings)} for name in OWN_LOGGERS},
    }

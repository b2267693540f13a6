"""The error of a configuration the engine cannot use."""

from __future__ import annotations


class ConfigError(ValueError):
    """An environment variable holds a value the engine cannot use."""

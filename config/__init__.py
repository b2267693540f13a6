"""Typed runtime configuration, read from environment variables."""

from config.settings import ConfigError, Settings, TopicNames

__all__ = ["ConfigError", "Settings", "TopicNames"]

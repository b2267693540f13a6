"""Topic administration with kafka-python: create what is missing, with explicit partitions."""

from __future__ import annotations

import contextlib
import logging
import time

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from config import Settings

log = logging.getLogger(__name__)


def ensure_topics(settings: Settings, timeout_s: float = 30.0) -> list[str]:
    """Create every topic of ``settings`` that does not exist yet. Returns those created."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=settings.kafka_bootstrap,
                client_id=f"{settings.app_id}-admin",
                # kafka-python retries its bootstrap for 30 s by default: a broker that
                # refuses the password or the certificate would hold us past our own bound.
                bootstrap_timeout_ms=max(100, int((deadline - time.monotonic()) * 1000)),
                **settings.kafka_security.kafka_python(),
            )
            break
        except KafkaError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    try:
        existing = set(admin.list_topics())
        missing = [name for name in settings.topics.all if name not in existing]
        if missing:
            new_topics = [
                NewTopic(name, settings.topic_partitions, settings.topic_replication)
                for name in missing
            ]
            with contextlib.suppress(TopicAlreadyExistsError):  # another worker won the race
                admin.create_topics(new_topics)
            log.info("created topics %s with %d partitions", missing, settings.topic_partitions)
        return missing
    finally:
        admin.close()


def main() -> int:
    """``python -m streams.kafka.topics``: create missing topics, exit (the compose init job)."""
    logging.basicConfig(level=logging.INFO)
    settings = Settings.from_env()
    created = ensure_topics(settings, timeout_s=120.0)
    print(f"{len(created)} topics created, {len(settings.topics.all) - len(created)} already there")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

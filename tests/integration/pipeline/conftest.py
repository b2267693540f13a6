"""The engine and the stores run on one Redis server and on a Redis Cluster alike."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["server", "cluster"])
def any_redis_url(request: pytest.FixtureRequest) -> str:
    """A test taking this runs twice: on the session's Redis, and on its 3-master cluster
    (every person's keys in one slot; a batch's pipeline split across the nodes)."""
    name = "redis_url" if request.param == "server" else "redis_cluster_url"
    url: str = request.getfixturevalue(name)
    return url

"""The worker's Redis client: one server, or a Redis Cluster.

``REDIS_URL`` says which: ``redis://`` (or ``rediss://``) is one server,
``redis+cluster://host:port`` (or ``rediss+cluster://``) any node of a cluster.
Every key of one person shares a hash tag (:mod:`.keys`), so each script runs
on one node; a batch's pipeline spans nodes, and the cluster client splits it
per node (redis-py 8 runs pipelined ``EVALSHA`` on a cluster).
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}


def redis_client(url: str, **options: Any) -> Redis | RedisCluster:
    scheme, separator, rest = url.partition("://")
    if scheme.lower() in CLUSTER_SCHEMES:
        return RedisCluster.from_url(
            f"{CLUSTER_SCHEMES[scheme.lower()]}{separator}{rest}", **options
        )
    return Redis.from_url(url, **options)

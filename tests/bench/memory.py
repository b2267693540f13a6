"""Memory: a process's resident set, and the Redis bytes each customer's keys take."""

from __future__ import annotations

from pathlib import Path

import redis

from models.identity import Identity, IdentityKind
from streams.redis.keys import PersonKeys


def rss_mib(pid: int) -> tuple[float, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    values = {
        line.split(":")[0]: int(line.split()[1]) / 1024
        for line in status.splitlines()
        if line.startswith(("VmRSS", "VmHWM"))
    }
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def memory_per_customer(client: redis.Redis, user_ids: list[str]) -> list[int]:
    sizes = []
    for chunk_start in range(0, len(user_ids), 500):
        chunk = user_ids[chunk_start : chunk_start + 500]
        pipe = client.pipeline(transaction=False)
        for user in chunk:
            identity = Identity(IdentityKind.USER, user)
            for key in (
                PersonKeys.of(identity).context,
                PersonKeys.of(identity).seen,
                PersonKeys.of(identity).links,
            ):
                pipe.memory_usage(key, samples=0)
        replies = pipe.execute()
        for i in range(len(chunk)):
            sizes.append(sum(r or 0 for r in replies[3 * i : 3 * i + 3]))
    return [size for size in sizes if size]

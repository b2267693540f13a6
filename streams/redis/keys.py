"""Redis key layout and Lua scripts of the context store.

Every key of one person shares a hash tag, ``{tag}``, so a script touching a
person's keys runs on Redis Cluster; ``tag`` hashes the identity, so key names
never carry a customer id.

- ``ctx:{tag}``  hash: ``doc`` (context JSON), ``v`` (version for compare-and-set),
  and, once an anonymous visitor has been identified, ``moved_to`` (the userId
  whose context absorbed it). A moved context keeps only ``moved_to``: it is the
  alias that routes later events under the anonymous id to the customer.
- ``seen:{tag}`` sorted set: applied messageIds scored by event time, capped, expiring.
- ``links:{tag}`` set: every anonymous id ever merged into this customer. The
  context caps its own list; erasure needs them all.
"""

from __future__ import annotations

from models.identity import Identity

# KEYS: ctx, seen, links. ARGV: expected version ('' if none), doc, ctx ttl (0 = keep),
# dedupe ttl, dedupe cap, number of newly linked anonymous ids, those ids,
# then messageId/score pairs.
# Returns the new version, 0 when the version moved, -1 when the context moved
# to a customer (the caller re-resolves the identity).
COMPARE_AND_SET = """
if redis.call('HEXISTS', KEYS[1], 'moved_to') == 1 then return -1 end
local current = redis.call('HGET', KEYS[1], 'v')
if (current or '') ~= ARGV[1] then return 0 end
local version = (tonumber(current) or 0) + 1
redis.call('HSET', KEYS[1], 'doc', ARGV[2], 'v', version)
if tonumber(ARGV[3]) > 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
else
  redis.call('PERSIST', KEYS[1])
end
local links = tonumber(ARGV[6])
for i = 7, 6 + links do
  redis.call('SADD', KEYS[3], ARGV[i])
end
for i = 7 + links, #ARGV, 2 do
  redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i])
end
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[5]) + 1))
redis.call('EXPIRE', KEYS[2], ARGV[4])
return version
"""

# Freezes an anonymous context for a merge: from now on no writer can change it
# (COMPARE_AND_SET answers -1), so the doc returned here is final.
# KEYS: ctx, seen. ARGV: userId. Returns {moved_to, doc or false, seen pairs}.
FREEZE = """
local moved_to = redis.call('HGET', KEYS[1], 'moved_to')
if not moved_to then
  moved_to = ARGV[1]
  redis.call('HSET', KEYS[1], 'moved_to', moved_to)
  redis.call('PERSIST', KEYS[1])
end
local doc = redis.call('HGET', KEYS[1], 'doc')
return {moved_to, doc or false, redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')}
"""


def identity_tag(identity: Identity) -> str:
    return identity.pseudonym


def context_key(identity: Identity) -> str:
    return f"ctx:{{{identity_tag(identity)}}}"


def seen_key(identity: Identity) -> str:
    return f"seen:{{{identity_tag(identity)}}}"


def links_key(identity: Identity) -> str:
    return f"links:{{{identity_tag(identity)}}}"


def text(value: bytes | str) -> str:
    """A Redis reply as text (clients may be configured to decode or not)."""
    return value.decode() if isinstance(value, bytes) else value

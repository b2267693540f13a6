"""Redis keys and Lua scripts of the offer engine.

- ``contacts:{tag}``  sorted set ``type|trigger_id`` -> event time: the person's contact history
- ``decided:{tag}``   hash ``trigger_id`` -> ``reserved`` | ``emitted``: the at-most-once guard
- ``pending:{tag}``   hash trigger type -> pending trigger JSON (one per type per person)
- ``timers:{topic:partition}`` sorted set ``tag|type`` -> due time; owned with the partition
- ``clock:{topic:partition}``  hash ``event_ms``, ``wall_ms``: the partition's event-time clock
- ``stock:{store}``   hash product -> ``units|event_ms``
- ``trends:{minute}`` hash ``kind|scope|...`` -> count, one bucket per event-time minute
"""

from __future__ import annotations

DAY_MS = 86_400_000

# KEYS: contacts, decided. ARGV: trigger_id, type, at_ms, per_day, per_week, cooldown_ms, ttl_s.
# Returns {verdict, detail}: reserved | existing (detail = state) | cooldown | capped (day|week).
RESERVE_CONTACT = """
local state = redis.call('HGET', KEYS[2], ARGV[1])
if state then return {'existing', state} end
local at = tonumber(ARGV[3])
local prefix = ARGV[2] .. '|'
-- Windows look both ways: decisions of one person do not arrive in event-time order.
local function around(span) return '(' .. (at - span), '(' .. (at + span) end
local cooldown = tonumber(ARGV[6])
if cooldown > 0 then
  for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], around(cooldown))) do
    if string.sub(member, 1, #prefix) == prefix then return {'cooldown', ''} end
  end
end
if redis.call('ZCOUNT', KEYS[1], around(86400000)) >= tonumber(ARGV[4]) then
  return {'capped', 'day'}
end
if redis.call('ZCOUNT', KEYS[1], around(604800000)) >= tonumber(ARGV[5]) then
  return {'capped', 'week'}
end
redis.call('ZADD', KEYS[1], at, prefix .. ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], 'reserved')
local newest = tonumber(redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
local horizon = '(' .. (newest - 8 * 86400000)
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', horizon)) do
  redis.call('HDEL', KEYS[2], string.match(member, '|(.*)$'))
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', horizon)
redis.call('EXPIRE', KEYS[1], ARGV[7])
redis.call('EXPIRE', KEYS[2], ARGV[7])
return {'reserved', ''}
"""

# KEYS: decided. ARGV: trigger_id.
MARK_EMITTED = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], ARGV[1], 'emitted')
end
return 1
"""

# KEYS: stock. ARGV: product, units, event_ms. Keeps the reading with the latest event time.
SET_STOCK = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local at = tonumber(string.match(current, '|(%d+)$'))
  if at and at > tonumber(ARGV[3]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ARGV[3])
return 1
"""

# KEYS: clock. ARGV: event_ms, wall_ms. The event-time clock only moves forward.
ADVANCE_CLOCK = """
local current = tonumber(redis.call('HGET', KEYS[1], 'event_ms') or '-1')
if tonumber(ARGV[1]) > current then
  redis.call('HSET', KEYS[1], 'event_ms', ARGV[1], 'wall_ms', ARGV[2])
end
return 1
"""

# KEYS: pending. ARGV: type, JSON that fired. Consumes the pending trigger unless
# it was rescheduled meanwhile (a later add moves the basket deadline).
RELEASE_PENDING = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""

# KEYS: timers. ARGV: member, due_ms read when firing. Timers and pending triggers
# live in different Cluster slots, hence two scripts.
RELEASE_TIMER = """
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if due and tonumber(due) == tonumber(ARGV[2]) then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
"""


def partition_tag(topic: str, partition: int) -> str:
    return f"{topic}:{partition}"


def contacts_key(tag: str) -> str:
    return f"contacts:{{{tag}}}"


def decided_key(tag: str) -> str:
    return f"decided:{{{tag}}}"


def pending_key(tag: str) -> str:
    return f"pending:{{{tag}}}"


def timers_key(topic: str, partition: int) -> str:
    return f"timers:{{{partition_tag(topic, partition)}}}"


def clock_key(topic: str, partition: int) -> str:
    return f"clock:{{{partition_tag(topic, partition)}}}"


def stock_key(store_id: str) -> str:
    return f"stock:{{{store_id}}}"


def trends_key(minute: int) -> str:
    return f"trends:{{{minute}}}"

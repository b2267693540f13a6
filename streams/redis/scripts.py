"""The Lua scripts: each one is an atomic step on keys of ONE hash slot (Redis Cluster).
The largest, a person's commit, is in :mod:`.commit_script`.

Numbers the rules decide (caps, windows, horizons) are passed in by the caller,
from :mod:`models.offers.pressure`, never written here: the pure rule and this
twin cannot drift apart (a test runs both on the same cases).
"""

from __future__ import annotations

from streams.redis.commit_script import COMMIT_PERSON

# Freezes an anonymous context for a merge: from now on no writer can change it
# (COMMIT_PERSON answers -1), so what is returned here is final: the doc, dedupe ids,
# and the contact history and decisions that follow the visitor to the customer.
# KEYS: ctx, seen, contacts, decided, decisions. ARGV: userId.
# Returns {moved_to, doc or false, seen pairs, contact pairs, decided pairs, decisions,
# 1 when this call froze it}.
FREEZE = """
local moved_to = redis.call('HGET', KEYS[1], 'moved_to')
local frozen_now = 0
if not moved_to then
  moved_to = ARGV[1]
  frozen_now = 1
  redis.call('HSET', KEYS[1], 'moved_to', moved_to)
  redis.call('PERSIST', KEYS[1])
end
local doc = redis.call('HGET', KEYS[1], 'doc')
return {moved_to, doc or false, redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES'),
  redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES'), redis.call('HGETALL', KEYS[4]),
  redis.call('LRANGE', KEYS[5], 0, -1), frozen_now}
"""

# Undoes a freeze made for an identify the batch then dropped (it preceded an
# erasure): the visitor stays its own person. KEYS: ctx. ARGV: userId of the freeze.
UNFREEZE = """
if redis.call('HGET', KEYS[1], 'moved_to') == ARGV[1] then
  return redis.call('HDEL', KEYS[1], 'moved_to')
end
return 0
"""

# KEYS: erased. ARGV: ttl_s, erasure time, then contact fields. The latest erasure wins.
REMEMBER_ERASURE = """
local at = tonumber(redis.call('HGET', KEYS[1], 'at') or '-1')
if tonumber(ARGV[2]) > at then redis.call('HSET', KEYS[1], 'at', ARGV[2]) end
for i = 3, #ARGV do redis.call('HSET', KEYS[1], ARGV[i], 1) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
"""

# The person's decision history, newest first, each entry once (a replay decides the
# same again). KEYS: decisions, ctx. ARGV: keep, ttl, entries (oldest first). Nothing
# is written for a person erased since the decision: their keys stay gone.
RECORD_DECISIONS = """
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
for i = 3, #ARGV do
  redis.call('LREM', KEYS[1], 0, ARGV[i])
  redis.call('LPUSH', KEYS[1], ARGV[i])
end
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[1]) - 1)
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""

# KEYS: decided. ARGV: trigger ids delivered to Kafka.
MARK_EMITTED = """
for _, id in ipairs(ARGV) do
  if redis.call('HEXISTS', KEYS[1], id) == 1 then redis.call('HSET', KEYS[1], id, 'emitted') end
end
return 1
"""

# KEYS: decided. ARGV: trigger ids held out (their suppression delivered): a replay finds
# them 'holdout' and stays silent, and they are not listed as sent contacts.
MARK_HELD_OUT = """
for _, id in ipairs(ARGV) do
  if redis.call('HEXISTS', KEYS[1], id) == 1 then redis.call('HSET', KEYS[1], id, 'holdout') end
end
return 1
"""

# A stock reading, and who to re-evaluate when it is a restock. KEYS: stock, viewers (the
# store's viewers of that product: same store, same slot). ARGV: product, units, event_ms,
# since_ms, max_people. Keeps the reading with the latest event time as
# 'units|event_ms|before'; the same reading again (a redelivery) answers as it did the
# first time. Returns {recorded (0: an older reading), units before (-1: unknown)} and,
# when the reading takes the product from 0 or unknown to more, the viewers scored after
# since_ms, newest first, at most max_people.
SET_STOCK = """
local units, at, max = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[5])
local before = -1
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local held = {}
  for field in string.gmatch(current, '[^|]+') do held[#held + 1] = tonumber(field) end
  if held[2] and held[2] > at then return {0, held[1]} end
  if held[2] == at and held[1] == units and held[3] then before = held[3] else before = held[1] end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ARGV[3] .. '|' .. before)
local reply = {1, before}
if units > 0 and before <= 0 and max > 0 then
  local since = '(' .. ARGV[4]
  local watchers = redis.call('ZREVRANGEBYSCORE', KEYS[2], '+inf', since, 'LIMIT', 0, max)
  for _, member in ipairs(watchers) do reply[#reply + 1] = member end
end
return reply
"""

# KEYS: viewers (one store's viewers of one product). ARGV: window_ms, max_people, then
# pseudonym, viewed_ms pairs. Each person keeps their latest view; views a window older
# than the newest are dropped, then all but the newest max_people.
NOTE_VIEWERS = """
local window, max = tonumber(ARGV[1]), tonumber(ARGV[2])
for i = 3, #ARGV, 2 do
  local held = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if not held or tonumber(held) < tonumber(ARGV[i + 1]) then
    redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i])
  end
end
local newest = tonumber(redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', newest - window)
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(max + 1))
redis.call('PEXPIRE', KEYS[1], window)
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

# The partition's event-time clock (its newest event time, carried forward by the
# wall clock since) and the timers it has passed. KEYS: clock, timers. ARGV: wall_ms,
# limit. Returns {clock or -1, member, due, member, due, ...}.
DUE_TIMERS = """
local state = redis.call('HMGET', KEYS[1], 'event_ms', 'wall_ms')
if not state[1] then return {-1} end
local clock = tonumber(state[1]) + math.max(0, tonumber(ARGV[1]) - tonumber(state[2]))
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', clock, 'WITHSCORES', 'LIMIT', 0, ARGV[2])
local reply = {clock}
for _, value in ipairs(due) do reply[#reply + 1] = value end
return reply
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

# KEYS: one minute's trend bucket. ARGV: field, count, field, count, ..., ttl_s. A batch's
# counts of one minute in one command (the fields of a batch number in the thousands).
COUNT_TRENDS = """
for i = 1, #ARGV - 1, 2 do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], ARGV[#ARGV])
return 1
"""

ALL: dict[str, str] = {
    "commit_person": COMMIT_PERSON,
    "freeze": FREEZE,
    "unfreeze": UNFREEZE,
    "remember_erasure": REMEMBER_ERASURE,
    "mark_emitted": MARK_EMITTED,
    "mark_held_out": MARK_HELD_OUT,
    "record_decisions": RECORD_DECISIONS,
    "set_stock": SET_STOCK,
    "note_viewers": NOTE_VIEWERS,
    "advance_clock": ADVANCE_CLOCK,
    "due_timers": DUE_TIMERS,
    "release_pending": RELEASE_PENDING,
    "release_timer": RELEASE_TIMER,
    "count_trends": COUNT_TRENDS,
}

"""The Lua scripts: each one is an atomic step on keys of ONE hash slot (Redis Cluster).

Numbers the rules decide (caps, windows, horizons) are passed in by the caller,
from :mod:`models.offers.pressure`, never written here: the pure rule and this
twin cannot drift apart (a test runs both on the same cases).
"""

from __future__ import annotations

# The unit of work of one person: compare-and-set of the context, dedupe ids,
# links, then contact reservations and pending timers, all or nothing.
# KEYS: ctx, seen, links, contacts, decided, pending, decisions.
# ARGV[1]: plan JSON {check, existing_only, version, write, ctx_ttl, seen_ttl, seen_max, links[],
#   seen[id, score...],
#   caps{day, week, week_ms, history_ms, ttl, exempt[type...], channels{name: {day, week}}}
#   (a channel limit of 0: uncapped), reserve[{id, type, channels[...], at, cooldown, day_from,
#   day_to}] (channels: consented, preferred first; [day_from, day_to): the local day),
#   pending[type, payload...],
#   absorb{contacts[member, score...], decided[id, state...], decisions[entry...],
#   decisions_max, decisions_ttl} (merged visitors' contact history, only with write)};
#   ARGV[2]: the context document when plan.write.
# Returns {status, {verdict, a, b}...}: status 1 when committed; with plan.check, 0 when
# the context changed since it was read and -1 when it moved to a customer (the caller
# re-resolves); with plan.existing_only, -2 when the person is gone (erased). Verdicts:
# {'existing', state, 0, channel, {}} or {'cooldown'|'capped'|'channel_capped'|'reserved',
# contacts the global caps count in the local day, in 7 days, channel granted or '',
# {channel, day, week...} of the preferred channels passed over at their own cap}.
COMMIT_PERSON = """
local plan = cjson.decode(ARGV[1])
-- A reservation outside a batch's commit (a due timer, a restock) is for someone who
-- still exists: one erased meanwhile must not get keys back.
if plan.existing_only and redis.call('EXISTS', KEYS[1]) == 0 then return {-2} end
local current = redis.call('HGET', KEYS[1], 'v')
if plan.check then
  if redis.call('HEXISTS', KEYS[1], 'moved_to') == 1 then return {-1} end
  if (current or '') ~= plan.version then return {0} end
end
local version = tonumber(current) or 0
if plan.write then
  version = version + 1
  redis.call('HSET', KEYS[1], 'doc', ARGV[2], 'v', version)
  if plan.ctx_ttl > 0 then redis.call('EXPIRE', KEYS[1], plan.ctx_ttl)
  else redis.call('PERSIST', KEYS[1]) end
  for _, id in ipairs(plan.links) do redis.call('SADD', KEYS[3], id) end
  for i = 1, #plan.seen, 2 do redis.call('ZADD', KEYS[2], plan.seen[i + 1], plan.seen[i]) end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(plan.seen_max + 1))
  redis.call('EXPIRE', KEYS[2], plan.seen_ttl)
end
local absorb = plan.absorb
if absorb then
  -- Merged visitors' contacts count against the customer's caps from now on.
  for i = 1, #absorb.contacts, 2 do
    redis.call('ZADD', KEYS[4], absorb.contacts[i + 1], absorb.contacts[i])
  end
  for i = 1, #absorb.decided, 2 do
    redis.call('HSETNX', KEYS[5], absorb.decided[i], absorb.decided[i + 1])
  end
  if #absorb.contacts > 0 then
    redis.call('EXPIRE', KEYS[4], plan.caps.ttl)
    redis.call('EXPIRE', KEYS[5], plan.caps.ttl)
  end
  if #absorb.decisions > 0 then
    -- One history, newest first by decision time; a repeated merge adds nothing.
    local entries, at, known = redis.call('LRANGE', KEYS[7], 0, -1), {}, {}
    for _, entry in ipairs(entries) do known[entry] = true end
    for _, entry in ipairs(absorb.decisions) do
      if not known[entry] then entries[#entries + 1] = entry; known[entry] = true end
    end
    for _, entry in ipairs(entries) do at[entry] = cjson.decode(entry).at or '' end
    table.sort(entries, function(a, b)
      if at[a] ~= at[b] then return at[a] > at[b] end
      return a < b
    end)
    redis.call('DEL', KEYS[7])
    for i = 1, math.min(#entries, absorb.decisions_max) do
      redis.call('RPUSH', KEYS[7], entries[i])
    end
    redis.call('EXPIRE', KEYS[7], absorb.decisions_ttl)
  end
end
local replies = {1}
local caps = plan.caps
local exempt = {}
for _, kind in ipairs(caps.exempt) do exempt[kind] = true end
for _, r in ipairs(plan.reserve) do
  local state = redis.call('HGET', KEYS[5], r.id)
  if state then
    -- A re-emission goes out on the channel its slot was reserved on.
    local reserved_on = ''
    for _, member in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do
      local channel, id = string.match(member, '^[^|]*|([^|]*)|(.*)$')
      if id == r.id then reserved_on = channel end
    end
    replies[#replies + 1] = {'existing', state, 0, reserved_on, {}}
  else
    -- The week looks both ways: one person's decisions do not arrive in event-time order.
    local function around(span) return '(' .. (r.at - span), '(' .. (r.at + span) end
    local day, week, on_day, on_week = 0, 0, {}, {}
    local week_from, week_to = around(caps.week_ms)
    local held = redis.call('ZRANGEBYSCORE', KEYS[4], week_from, week_to, 'WITHSCORES')
    for i = 1, #held, 2 do
      local member, at = held[i], tonumber(held[i + 1])
      local kind = string.match(member, '^([^|]*)|')
      local channel = string.match(member, '^[^|]*|([^|]*)|')  -- nil: an entry before channels
      local today = at >= r.day_from and at < r.day_to
      if not exempt[kind] then
        week = week + 1
        if today then day = day + 1 end
      end
      if channel then
        on_week[channel] = (on_week[channel] or 0) + 1
        if today then on_day[channel] = (on_day[channel] or 0) + 1 end
      end
    end
    local verdict, granted, skipped = 'reserved', '', {}
    if r.cooldown > 0 then
      local prefix = r.type .. '|'
      for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], around(r.cooldown))) do
        if string.sub(member, 1, #prefix) == prefix then verdict = 'cooldown' end
      end
    end
    if verdict == 'reserved' and not exempt[r.type] and (day >= caps.day or week >= caps.week) then
      verdict = 'capped'
    end
    if verdict == 'reserved' then
      verdict = 'channel_capped'
      for _, channel in ipairs(r.channels) do
        local limits = caps.channels[channel]
        local used_day, used_week = on_day[channel] or 0, on_week[channel] or 0
        local full = limits and ((limits.day > 0 and used_day >= limits.day)
          or (limits.week > 0 and used_week >= limits.week))
        if not full then
          verdict, granted = 'reserved', channel
          break
        end
        skipped[#skipped + 1] = channel
        skipped[#skipped + 1] = used_day
        skipped[#skipped + 1] = used_week
      end
    end
    if verdict == 'reserved' then
      redis.call('ZADD', KEYS[4], r.at, r.type .. '|' .. granted .. '|' .. r.id)
      redis.call('HSET', KEYS[5], r.id, 'reserved')
      local newest = tonumber(redis.call('ZREVRANGE', KEYS[4], 0, 0, 'WITHSCORES')[2])
      local horizon = '(' .. (newest - caps.history_ms)
      for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', horizon)) do
        redis.call('HDEL', KEYS[5], string.match(member, '([^|]*)$'))
      end
      redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', horizon)
      redis.call('EXPIRE', KEYS[4], caps.ttl)
      redis.call('EXPIRE', KEYS[5], caps.ttl)
    end
    replies[#replies + 1] = {verdict, day, week, granted, skipped}
  end
end
for i = 1, #plan.pending, 2 do redis.call('HSET', KEYS[6], plan.pending[i], plan.pending[i + 1]) end
return replies
"""

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

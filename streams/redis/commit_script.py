"""The unit of work of one person, as one Lua script: the store's commit.

Its numbers (caps, windows, horizons) come from :mod:`models.offers.pressure`, as
for every script (:mod:`.scripts`); a test runs this twin and the pure rule on the
same cases.
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

-- acquire.lua: one all-or-nothing decision over the dimensions of one scope (after bucket.lua).
--
-- KEYS[i]   the hash of dimension i, {prefix}:{scope}:{name}; every key shares the {scope} tag.
--           A bucket keeps l (scaled level) and t (its time, us); a daily counter d (the Pacific
--           date) and n (units used that day); either may keep p (paused until, us).
--           A missing bucket is full; a missing or older counter is at 0.
-- ARGV[1..5]  the Pacific day table (see bucket.lua)
-- ARGV[6 + 5(i-1) .. 10 + 5(i-1)]  dimension i: kind, cost, a, b, c where
--           kind 'b' (bucket): a = capacity, b = refill, c = window_us
--           kind 'd' (daily):  a = limit, b and c unused
-- Returns {granted (1|0), wait_us, daily (1|0), now_us, stale (1|0)}: when refused, wait_us is
-- the exact time until every cost fits and every pause has ended, and daily = 1 when a daily
-- counter (spent, or paused) is among what blocks, so nothing goes before the daily reset;
-- nothing is written. stale = 1 asks the client for a fresh day table (see bucket.lua).

local now = now_us()
local wait, daily = 0, 0
local plan = {}
for i, key in ipairs(KEYS) do
  local j = 6 + 5 * (i - 1)
  local kind, cost, a = ARGV[j], tonumber(ARGV[j + 1]), tonumber(ARGV[j + 2])
  if kind == 'b' then
    local h = redis.call('HMGET', key, 'l', 't', 'p')
    local refill, window = tonumber(ARGV[j + 3]), tonumber(ARGV[j + 4])
    local cap = a * window
    local level, at, pause = tonumber(h[1]) or cap, tonumber(h[2]) or now, tonumber(h[3]) or 0
    wait = math.max(wait, pause - now, bucket_wait(cap, refill, window, level, at, cost, now))
    if cost > 0 then
      local left, since = level_at(cap, refill, level, at, now) - cost * window, math.max(now, at)
      plan[#plan + 1] = {key, 'b', left, since, since + ceil_div(cap - left, refill), pause}
    end
  else
    local h = redis.call('HMGET', key, 'd', 'n', 'p')
    local pause = tonumber(h[3]) or 0
    if pause > now then daily = 1 end
    wait = math.max(wait, pause - now)
    if cost > 0 then
      local day, reset = pacific_day(now)
      if day == nil then return {0, 0, 0, now, 1} end
      local used = (h[1] == day) and tonumber(h[2]) or 0
      if used + cost > a then wait, daily = math.max(wait, reset - now), 1 end
      plan[#plan + 1] = {key, 'd', day, used + cost, reset + DAY_GRACE_US, pause}
    end
  end
end
if wait > 0 then return {0, wait, daily, now, 0} end
for _, p in ipairs(plan) do
  if p[2] == 'b' then
    redis.call('HSET', p[1], 'l', int(p[3]), 't', int(p[4]))
  else
    redis.call('HSET', p[1], 'd', p[3], 'n', int(p[4]))
  end
  expire(p[1], p[5], p[6], now)
end
return {1, 0, 0, now, 0}

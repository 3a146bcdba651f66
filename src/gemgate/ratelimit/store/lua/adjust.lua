-- adjust.lua: settle one dimension with the real usage (after bucket.lua).
--
-- KEYS[1]   the dimension's hash (fields as in acquire.lua)
-- ARGV[1..5]  the Pacific day table (see bucket.lua)
-- ARGV[6..10]  kind, delta, a, b, c: kind and a, b, c as in acquire.lua; delta > 0 refunds
--           (a bucket never above its capacity, a counter never below 0), delta < 0 charges more
--           (a bucket may go below 0: a debt later requests wait out).
-- Returns {now_us, stale (1|0)}; when stale nothing is written.

local now = now_us()
local key, kind, delta, a = KEYS[1], ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8])
if kind == 'b' then
  local h = redis.call('HMGET', key, 'l', 't', 'p')
  local refill, window = tonumber(ARGV[9]), tonumber(ARGV[10])
  local cap = a * window
  local level, at, pause = tonumber(h[1]) or cap, tonumber(h[2]) or now, tonumber(h[3]) or 0
  level = math.min(cap, level_at(cap, refill, level, at, now) + delta * window)
  local since = math.max(now, at)
  redis.call('HSET', key, 'l', int(level), 't', int(since))
  expire(key, since + ceil_div(cap - level, refill), pause, now)
else
  local day, reset = pacific_day(now)
  if day == nil then return {now, 1} end
  local h = redis.call('HMGET', key, 'd', 'n', 'p')
  local used = (h[1] == day) and tonumber(h[2]) or 0
  redis.call('HSET', key, 'd', day, 'n', int(math.max(0, used - delta)))
  expire(key, reset + DAY_GRACE_US, tonumber(h[3]) or 0, now)
end
return {now, 0}

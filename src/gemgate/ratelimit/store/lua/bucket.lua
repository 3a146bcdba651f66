-- bucket.lua: the integer math of gemgate/ratelimit/bucket.py, mirrored for the Redis scripts.
--
-- Not a script on its own: RedisStore prepends it to acquire.lua, adjust.lua and pause.lua when
-- it loads them. Lua numbers are doubles, exact for integers below 2^53; BucketSpec keeps a full
-- scaled level (units x window_us) below 2^51, and every value written back goes through int()
-- ('%d'), never tostring(), which would keep only 14 digits.
--
-- The only clock is the Redis server's: now_us() reads TIME.
--
-- Shared ARGV[1..5], the Pacific day table built by the client from an earlier TIME reply:
--   ARGV[1], ARGV[2], ARGV[3]  m0 < m1 < m2: three consecutive midnights America/Los_Angeles, in
--                              microseconds since the epoch (days of 23, 24 or 25 hours)
--   ARGV[4], ARGV[5]           the dates (YYYY-MM-DD) of the days [m0, m1) and [m1, m2)
-- A time outside [m0, m2) is "stale": the script answers so, and the client rebuilds the table
-- from the TIME in that answer and asks again.

local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end

local function int(x)
  return string.format('%d', x)
end

-- ceil(a / b) for integers a >= 0, b > 0, exact: the float quotient may round across an integer
local function ceil_div(a, b)
  local q = math.floor(a / b)
  if q * b < a then q = q + 1 end
  if q > 0 and (q - 1) * b >= a then q = q - 1 end
  return q
end

-- bucket.level_at: the scaled level at now, refilled since at, capped at cap = capacity x window
local function level_at(cap, refill, level, at, now)
  local elapsed = now - at
  if elapsed <= 0 or level >= cap then return math.min(level, cap) end
  if refill * elapsed >= cap - level then return cap end
  return level + refill * elapsed
end

-- bucket.wait_us for a cost that can fit (the client raised ExceedsLimit for any other)
local function bucket_wait(cap, refill, window, level, at, cost, now)
  local need = cost * window
  if cost <= 0 or level_at(cap, refill, level, at, now) >= need then return 0 end
  return at + ceil_div(need - level, refill) - now
end

-- The Pacific day at now and the microsecond it ends, or nil when the table is stale
local function pacific_day(now)
  local m0, m1, m2 = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
  if m0 <= now and now < m1 then return ARGV[4], m1 end
  if m1 <= now and now < m2 then return ARGV[5], m2 end
  return nil, nil
end

-- Keys live while they hold information: a bucket until it would be full again, a daily counter
-- a minute past its midnight, a pause until it ends; whichever is longest.
local function expire(key, until_us, pause, now)
  local last = math.max(until_us, pause)
  redis.call('PEXPIRE', key, ceil_div(math.max(last - now, 0), 1000) + 1)
end

local DAY_GRACE_US = 60000000

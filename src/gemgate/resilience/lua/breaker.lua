-- breaker.lua: one step of a circuit breaker shared by every process, atomically.
--
-- KEYS[1]  the breaker's hash: s (0 closed, 1 open, 2 half-open), f (consecutive failures),
--          o (opened at, us), p (probes in flight), u (probe lease end, us), g (epoch: moves on
--          with every transition and every expired probe lease). Missing: closed, all 0.
-- ARGV     op ('admit' | 'success' | 'failure' | 'release'), probe (1 if the permit is a probe),
--          threshold, open_us, max_probes, lease_us, ttl_ms, epoch (the probe permit's)
-- Returns {verdict, old_state, new_state, wait_us, failures, epoch}:
--   admit:  verdict 1 = go, 2 = go as a probe (of that epoch), 0 = refused (wait_us until a
--           probe may go)
--   others: verdict 1; old/new state tell whether this step moved the breaker. A probe's
--           outcome counts only in the epoch it was let through in.
-- The server's TIME is the only clock.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local key = KEYS[1]
local op, probe = ARGV[1], tonumber(ARGV[2])
local threshold, open_us = tonumber(ARGV[3]), tonumber(ARGV[4])
local max_probes, lease_us, ttl_ms = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local epoch = tonumber(ARGV[8])

local h = redis.call('HMGET', key, 's', 'f', 'o', 'p', 'u', 'g')
local s, f = tonumber(h[1]) or 0, tonumber(h[2]) or 0
local o, p, u = tonumber(h[3]) or 0, tonumber(h[4]) or 0, tonumber(h[5]) or 0
local g = tonumber(h[6]) or 0
local old = s
local verdict, wait = 1, 0
local live = probe == 1 and s == 2 and epoch == g

-- a new epoch: never one used before, even after the hash was deleted (the server's TIME, us)
local function bump()
  g = math.max(g + 1, now)
end

local function open()
  s, o, p = 1, now, 0
  bump()
end

if op == 'admit' then
  if s == 1 then
    if now < o + open_us then
      verdict, wait = 0, o + open_us - now
    else
      s, p = 2, 0
      bump()
    end
  end
  if s == 2 and verdict == 1 then
    if p > 0 and now >= u then
      p = 0
      bump()
    end
    if p >= max_probes then
      verdict, wait = 0, math.max(0, u - now)
    else
      verdict, p, u = 2, p + 1, now + lease_us
    end
  end
elseif op == 'success' then
  if live then
    s, f, p = 0, 0, 0
    bump()
  elseif s == 0 and probe == 0 then
    f = 0
  end
elseif op == 'failure' then
  if live then
    open()
  elseif s == 0 and probe == 0 then
    f = f + 1
    if f >= threshold then open() end
  end
elseif op == 'release' then
  if live and p > 0 then p = p - 1 end
end

if s == 0 and f == 0 then
  redis.call('DEL', key)  -- closed and clean: nothing to keep (a new epoch starts from 0)
else
  redis.call('HSET', key, 's', s, 'f', f, 'o', o, 'p', p, 'u', u, 'g', g)
  redis.call('PEXPIRE', key, ttl_ms)
end
return {verdict, old, s, wait, f, g}

-- pause.lua: no grant touches this dimension until the pause ends (after bucket.lua).
--
-- KEYS[1]   the dimension's hash (fields as in acquire.lua); only its p field is written
-- ARGV[1]   the pause, in microseconds from now (the Redis server's now)
-- A longer pause already in place stays; the key's TTL grows to cover the pause, never shrinks.
-- Returns {now_us, 0} (the shape of the other scripts' replies).

local now = now_us()
local key = KEYS[1]
local until_us = math.max(now + tonumber(ARGV[1]), tonumber(redis.call('HGET', key, 'p')) or 0)
redis.call('HSET', key, 'p', int(until_us))
local ms = ceil_div(until_us - now, 1000) + 1
if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
return {now, 0}

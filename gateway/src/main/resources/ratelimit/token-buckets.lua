-- Two token buckets (requests, tokens) of one API key, decided together in one atomic step so that every
-- gateway replica spends from the same budget. Same arithmetic as TokenBuckets.java.
-- KEYS[1] requests bucket, KEYS[2] tokens bucket (hashes: level, ts)
-- ARGV[1] requests per minute, ARGV[2] tokens per minute (0 = no limit)
-- ARGV[3] mode: "acquire" or "adjust"
-- ARGV[4] requests to take (acquire), ARGV[5] tokens to take (acquire) or to add to the debt (adjust, may be < 0)
-- Returns {admitted 1|0, limited-by 0|1 requests|2 tokens, retry-after ms,
--          requests level, requests reset ms, tokens level, tokens reset ms}; levels are floored.
local window = 60000
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local caps = { tonumber(ARGV[1]), tonumber(ARGV[2]) }
local mode = ARGV[3]
local take = { tonumber(ARGV[4]), tonumber(ARGV[5]) }

local function level(i)
  local cap = caps[i]
  if cap <= 0 then return 0 end
  local v = redis.call('HMGET', KEYS[i], 'level', 'ts')
  local l, ts = tonumber(v[1]), tonumber(v[2])
  if l == nil or ts == nil then return cap end
  local elapsed = now - ts
  if elapsed < 0 then elapsed = 0 end
  return math.min(cap, l + elapsed * cap / window)
end

local function save(i, l)
  if caps[i] <= 0 then return end
  redis.call('HSET', KEYS[i], 'level', string.format('%.6f', l), 'ts', now)
  -- an untouched bucket is full again after one window, the same as no bucket
  redis.call('PEXPIRE', KEYS[i], window * 2)
end

local function wait(l, wanted, cap)
  if cap <= 0 or wanted <= l then return 0 end
  return math.ceil((wanted - l) * window / cap)
end

local function reset(l, cap)
  if cap <= 0 then return 0 end
  return wait(l, cap, cap)
end

local levels = { level(1), level(2) }
local admitted, limitedBy, retry = 1, 0, 0
if mode == 'acquire' then
  local w1, w2 = wait(levels[1], take[1], caps[1]), wait(levels[2], take[2], caps[2])
  if w1 > 0 or w2 > 0 then
    admitted = 0
    if w1 > 0 then limitedBy = 1 else limitedBy = 2 end
    retry = math.max(w1, w2)
  else
    levels[1] = levels[1] - take[1]
    levels[2] = levels[2] - take[2]
    save(1, levels[1])
    save(2, levels[2])
  end
else
  levels[2] = math.max(-caps[2], math.min(caps[2], levels[2] - take[2]))
  save(2, levels[2])
end
return { admitted, limitedBy, retry,
         math.floor(math.max(0, levels[1])), reset(levels[1], caps[1]),
         math.floor(math.max(0, levels[2])), reset(levels[2], caps[2]) }

-- wrk script: each request signs in as the next bench user (cookie) and asks for their page.
-- Usage: wrk ... -s bench/lua/pages.lua -- <sessions.jsonl> <page key> [session cookie name]
-- The JSON lines come from `manage.py bench_sessions --mode pages`; a tiny field reader below
-- takes "key": "value" pairs (wrk's LuaJIT has no JSON library).

local lines = {}
local index = 0
local page = "month"
local cookie_name = "sessionid"

local function field(line, key)
  return line:match('"' .. key .. '": "([^"]*)"')
end

function init(args)
  local path, key, name = args[1], args[2], args[3]
  page = key or page
  cookie_name = name or cookie_name
  for line in io.lines(path) do
    local cookie, target = field(line, "cookie"), field(line, page)
    if cookie and target then
      lines[#lines + 1] = { cookie = cookie, path = target }
    end
  end
  -- Threads start at different users so they do not walk in step (a seed per Lua state).
  math.randomseed(tonumber(tostring({}):match("0x(%x+)") or "1", 16) % 2147483647)
  index = math.random(#lines)
end

function request()
  index = index % #lines + 1
  local entry = lines[index]
  return wrk.format("GET", entry.path, { ["Cookie"] = cookie_name .. "=" .. entry.cookie })
end

function done(summary, latency, requests)
  local fmt = '{"requests": %d, "duration_us": %d, "errors_connect": %d, "errors_read": %d, '
    .. '"errors_write": %d, "errors_status": %d, "errors_timeout": %d, "bytes": %d, '
    .. '"p50_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %f}'
  io.write("WRK_JSON " .. string.format(fmt, summary.requests, summary.duration,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max, latency.mean) .. "\n")
end

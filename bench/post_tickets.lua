-- wrk script of `bench/post_tickets.py`: each thread sends its share of ticket creations, says
-- "finished" and stops. wrk itself runs for its whole --duration: bench/post_tickets.py interrupts it
-- (SIGINT) once every thread has finished, and times the run from its own clock.
--   wrk -t THREADS -c THREADS -s bench/post_tickets.lua URL -- TOKEN REQUESTS THREADS
-- 500 distinct customers, found again by e-mail after their first ticket. At the end, one JSON line
-- with the counts and wrk's latency percentiles.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("number", #threads)
end

function init(args)
  token = args[1]
  count = tonumber(args[3])
  number = wrk.thread:get("number") - 1
  -- The first (REQUESTS mod THREADS) threads send one more, so the shares add up to REQUESTS.
  share = math.floor(tonumber(args[2]) / count)
  if number < tonumber(args[2]) % count then
    share = share + 1
  end
  sent = 0
  answered = 0
end

function request()
  -- Ticket numbers interleave across threads, so every ticket has its own subject.
  local n = sent * count + number
  sent = sent + 1
  local customer = n % 500
  local body = string.format(
    '{"subject": "Benchmark ticket %d", "description": "The printer on floor 3 is on fire again.", '
      .. '"priority": "normal", "channel": "api", "tags": ["bench"], '
      .. '"customer": {"name": "Customer %d", "email": "customer%d@bench.example"}}',
    n, customer, customer)
  return wrk.format("POST", nil, {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end

function response(status, headers, body)
  answered = answered + 1
  if answered == share then
    io.write("finished\n")
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  local failed = errors.connect + errors.read + errors.write + errors.timeout + errors.status
  io.write(string.format(
    '{"requests": %d, "request_p50_ms": %.1f, "request_p99_ms": %.1f, "errors": %d}\n',
    summary.requests, latency:percentile(50) / 1000, latency:percentile(99) / 1000, failed))
end

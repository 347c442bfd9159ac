-- wrk script for bench/run.py: prints one machine-readable line (BENCH_JSON {...}) after the run.
-- It deliberately defines no response() hook: that would hand every body to Lua, and wrk, which
-- shares the machine with the server, would then spend more per request on a big page than on
-- the tiny floor and skew the ratio. wrk counts non-2xx/3xx answers itself (errors.status);
-- bench/run.py checks the codes one by one before and after the load, and bytes per response.

function done(summary, latency, requests)
  -- The latency distribution as quantiles every 0.5 % (0.1 % above 99 %), so that
  -- bench/run.py can merge the rounds of one page into percentiles.
  local grid = {}
  local p = 0.5
  while p <= 100.0001 do
    table.insert(grid, string.format("[%.1f, %.0f]", p, latency:percentile(p)))
    if p >= 99 then
      p = p + 0.1
    else
      p = p + 0.5
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"duration_us": %.0f, "requests": %.0f, "bytes": %.0f, '
      .. '"errors": {"connect": %.0f, "read": %.0f, "write": %.0f, "status": %.0f, "timeout": %.0f}, '
      .. '"quantiles": [%s]}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(grid, ", ")))
end

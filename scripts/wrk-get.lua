-- wrk script: GET the URL given on the command line (headers from -H, e.g. a console session
-- cookie) and print the latency percentiles at the end, in the line kesu-bench reads.
done = function(summary, latency, requests)
  io.write(string.format("requests %d errors %d non2xx %d duration_s %.2f rps %.1f p50_ms %.2f p99_ms %.2f max_ms %.2f\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end

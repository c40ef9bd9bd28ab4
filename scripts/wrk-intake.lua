-- wrk script: POST /v1/cases with a fresh Idempotency-Key per request (each request registers a
-- case), and the latency percentiles at the end. Token from the KESU_TOKEN environment variable.
local counter = 0
local thread_id = 0
local token = os.getenv("KESU_TOKEN")
-- Several wrk processes at once (two servers) give each its own prefix, so their keys never meet.
local prefix = os.getenv("KESU_KEY_PREFIX") or "bench"
local body = '{"fields": {"channel": "phone", "kind": "complaint", "complainant_type": "retailer", ' ..
  '"region": "county_a", "category": "marketing_service", "subject": "客户经理服务态度差", ' ..
  '"description": "订货时推诿, 多次联系未果", "complainant_name": "张某", "complainant_phone": "13812345678"}}'

setup = function(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
end

request = function()
  counter = counter + 1
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("%s-%d-%d-%d", prefix, tid or 0, counter, os.time()),
  }
  return wrk.format("POST", "/v1/cases", headers, body)
end

done = function(summary, latency, requests)
  io.write(string.format("requests %d errors %d non2xx %d duration_s %.2f rps %.1f p50_ms %.2f p99_ms %.2f max_ms %.2f\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end

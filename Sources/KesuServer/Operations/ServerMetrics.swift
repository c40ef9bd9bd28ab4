import Foundation
import Hummingbird
import KesuKernel
import Metrics
import Prometheus

/// The server's metrics, through swift-metrics on a Prometheus registry this server owns (so
/// nothing global is configured by the library; `kesu serve` may bootstrap the same registry).
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var f = PrometheusMetricsFactory(registry: registry)
        f.durationHistogramBuckets["kesu_http_request_duration_seconds"] = Self.latencyBuckets
        f.durationHistogramBuckets["kesu_sweep_duration_seconds"] = Self.sweepBuckets
        self.factory = f
        // Every counter exists from the start, at 0 (with each known label value), so a dashboard
        // or an alert on a rate sees the series before the first sweep or reload.
        _ = Metrics.Timer(label: "kesu_sweep_duration_seconds", factory: f)
        Counter(label: "kesu_sweep_fired_total", factory: f).increment(by: 0)
        Counter(label: "kesu_notifications_delivered_total", factory: f).increment(by: 0)
        for outcome in Self.reloadOutcomes {
            Counter(label: "kesu_rules_reloads_total", dimensions: [("outcome", outcome)], factory: f).increment(by: 0)
        }
    }

    /// `kesu_rules_reloads_total{outcome}`: the rules were put in force, or refused.
    static let reloadOutcomes = ["ok", "refused"]

    static let latencyBuckets: [Duration] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500].map { .milliseconds($0) }
    static let sweepBuckets: [Duration] = [1, 5, 10, 50, 100, 500, 1000, 5000, 30000].map { .milliseconds($0) }

    func request(method: String, route: String, status: Int, duration: Duration) {
        let labels = [("method", method), ("route", route), ("status", String(status))]
        Counter(label: "kesu_http_requests_total", dimensions: labels, factory: factory).increment()
        Metrics.Timer(label: "kesu_http_request_duration_seconds", dimensions: [("method", method), ("route", route)], factory: factory)
            .recordNanoseconds(duration.nanoseconds)
    }

    func sweep(duration: Duration, fired: Int, delivered: Int) {
        Metrics.Timer(label: "kesu_sweep_duration_seconds", factory: factory).recordNanoseconds(duration.nanoseconds)
        Counter(label: "kesu_sweep_fired_total", factory: factory).increment(by: fired)
        Counter(label: "kesu_notifications_delivered_total", factory: factory).increment(by: delivered)
    }

    func reload(outcome: String) {
        Counter(label: "kesu_rules_reloads_total", dimensions: [("outcome", outcome)], factory: factory).increment()
    }

    /// Reads the store's gauges (cases by state, overdue, outbox backlog), the calendar's coverage, and renders everything.
    func render(engine: Engine, at now: Date) async throws -> String {
        let store = engine.store
        for state in engine.pack.procedure.states {
            let n = try await store.count(CaseQuery(state: state.id))
            Gauge(label: "kesu_cases", dimensions: [("state", state.id)], factory: factory).record(n)
        }
        let overdue = try await store.count(CaseQuery(overdueAt: now, openOnly: true))
        Gauge(label: "kesu_cases_overdue", factory: factory).record(overdue)
        let backlog = try await store.outboxCounts()
        for status in [OutboxItem.Status.pending, .failed] {
            Gauge(label: "kesu_outbox_backlog", dimensions: [("status", status.rawValue)], factory: factory).record(backlog[status] ?? 0)
        }
        // Days of holiday calendar left, counting today: official (the State Council's notice) and including drafts.
        // An alert fires well before 0; /readyz stays ready, as deadlines are still counted (on weekends only).
        let calendar = engine.planner.calendar
        let today = calendar.localDate(of: now)
        Gauge(label: "kesu_calendar_coverage_days_left", dimensions: [("kind", "official")], factory: factory)
            .record(calendar.coverageDaysLeft(from: today))
        Gauge(label: "kesu_calendar_coverage_days_left", dimensions: [("kind", "provisional")], factory: factory)
            .record(calendar.coverageDaysLeft(from: today, includingProvisional: true))
        return registry.emitToString()
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }
}

/// Counts every request and its latency by method, route pattern and status.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var status = 500
        defer {
            metrics.request(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: status,
                            duration: ContinuousClock.now - start)
        }
        let response = try await next(request, context)
        status = response.status.code
        return response
    }
}

/// One structured log line per request: method, path, status, milliseconds and the user (the
/// authenticated person, `-` when none; the request id comes with the logger).
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = KesuRequestContext
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let ms = Double((ContinuousClock.now - start).nanoseconds) / 1e6
        context.logger.info("request", metadata: [
            "method": "\(request.method.rawValue)", "path": "\(request.uri.path)", "status": "\(response.status.code)",
            "ms": "\(String(format: "%.2f", ms))", "user": "\(context.authenticated.person ?? "-")",
        ])
        return response
    }
}

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import KesuKernel

/// POSTs each notification as JSON to a URL. One delivery tries up to `retries + 1` times,
/// waiting `backoff`, 2×`backoff`, 4×`backoff`, … between tries; each try gives up after
/// `timeout`. Anything but a 2xx answer is a failure; when the last try fails, `deliver`
/// throws, so the caller keeps the notification.
///
/// With a `secret`, every try is signed (docs/integrations.md): `Kesu-Timestamp` (Unix seconds) and
/// `Kesu-Signature: sha256=HEX`, the HMAC-SHA256 of `TIMESTAMP.BODY` keyed by the secret. A case event also
/// carries `Kesu-Event-Id` and `Kesu-Event-Type`; every delivery carries `Kesu-Delivery` (the outbox item's id).
public struct WebhookNotifier: Notifier {
    public var url: URL
    public var timeout: Duration
    public var retries: Int
    public var backoff: Duration
    public var headers: [String: String]
    public var secret: [UInt8]?
    /// The signing time (tests give a fixed one).
    public var now: @Sendable () -> Date

    public init(url: URL, timeout: Duration = .seconds(5), retries: Int = 3, backoff: Duration = .milliseconds(500),
                headers: [String: String] = [:], secret: [UInt8]? = nil, now: @escaping @Sendable () -> Date = { Date() }) {
        self.url = url; self.timeout = timeout; self.retries = max(0, retries); self.backoff = backoff; self.headers = headers
        self.secret = secret; self.now = now
    }

    /// The headers one try sends with `body`: the configured ones, the event's, and the signature.
    public func signedHeaders(for n: KesuKernel.Notification, body: Data) -> [String: String] {
        var out = headers
        out["Content-Type"] = "application/json"
        if let id = n.id { out["Kesu-Delivery"] = String(id) }
        if n.kind == .event, let event = n.event {
            out["Kesu-Event-Id"] = event["id"]?.string
            out["Kesu-Event-Type"] = event["type"]?.string
        }
        if let secret {
            let ts = String(Int64(now().timeIntervalSince1970))
            out["Kesu-Timestamp"] = ts
            out["Kesu-Signature"] = "sha256=" + HMACSHA256.hex(key: secret, message: Array(ts.utf8) + [0x2E] + Array(body))
        }
        return out
    }

    public func deliver(_ n: KesuKernel.Notification) async throws {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        let body = NotificationJSON.data(n)
        request.httpBody = body
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        request.timeoutInterval = seconds

        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = seconds
        configuration.timeoutIntervalForResource = seconds
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }

        var problems: [String] = []
        for attempt in 0...retries {
            if attempt > 0 { try await Task.sleep(for: backoff * (1 << min(attempt - 1, 20))) }
            // Signed per try: a receiver may refuse a stale timestamp.
            for (k, v) in signedHeaders(for: n, body: body) { request.setValue(v, forHTTPHeaderField: k) }
            do {
                let (_, response) = try await session.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                if (200..<300).contains(status) { return }
                problems.append("HTTP \(status)")
            } catch {
                problems.append((error as NSError).localizedDescription)
            }
        }
        throw NotifierError("webhook \(url.absoluteString) failed after \(retries + 1) tries: \(problems.joined(separator: ", "))")
    }

    /// The URL without query or credentials (a query may carry a secret).
    public var about: DriverInfo {
        var c = URLComponents(url: url, resolvingAgainstBaseURL: false)
        c?.query = nil; c?.user = nil; c?.password = nil
        return DriverInfo(kind: "webhook", target: c?.string ?? url.host)
    }

    /// One HEAD request, no retries: any HTTP answer means the server is there (a webhook may
    /// refuse HEAD); a refused connection or a timeout does not.
    public func checkHealth(timeout: Duration) async throws -> String? {
        var request = URLRequest(url: url)
        request.httpMethod = "HEAD"
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let seconds = max(0.1, Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
        request.timeoutInterval = seconds
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = seconds
        configuration.timeoutIntervalForResource = seconds
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        do {
            let (_, response) = try await session.data(for: request)
            return "HTTP \((response as? HTTPURLResponse)?.statusCode ?? 0)"
        } catch {
            throw NotifierError((error as NSError).localizedDescription)
        }
    }
}

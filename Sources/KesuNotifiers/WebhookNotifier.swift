import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import KesuKernel

/// POSTs each notification as JSON to a URL. One delivery tries up to `retries + 1` times,
/// waiting `backoff`, 2×`backoff`, 4×`backoff`, … between tries; each try gives up after
/// `timeout`. Anything but a 2xx answer is a failure; when the last try fails, `deliver`
/// throws, so the caller keeps the notification.
public struct WebhookNotifier: Notifier {
    public var url: URL
    public var timeout: Duration
    public var retries: Int
    public var backoff: Duration
    public var headers: [String: String]

    public init(url: URL, timeout: Duration = .seconds(5), retries: Int = 3, backoff: Duration = .milliseconds(500),
                headers: [String: String] = [:]) {
        self.url = url; self.timeout = timeout; self.retries = max(0, retries); self.backoff = backoff; self.headers = headers
    }

    public func deliver(_ n: KesuKernel.Notification) async throws {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        request.httpBody = NotificationJSON.data(n)
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

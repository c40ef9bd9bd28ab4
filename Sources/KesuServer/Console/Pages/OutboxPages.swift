import Foundation
import Hummingbird
import KesuKernel
import KesuRendering

extension Console {
    /// Pages for the notification outbox and plugin health (rules_admin).
    func registerOutbox(_ g: RouterGroup<KesuRequestContext>) {
        g.get("outbox", use: signedIn(outboxPage))
        g.post("outbox/retry", use: signedIn(outboxRetryPost))
        g.post("outbox/retry-all", use: signedIn(outboxRetryPost))
    }

    /// Delivered notifications of this many days are listed, this many a page.
    static let deliveredDays = 7
    static let deliveredPerPage = 50
    static let deliveredScan = 50_000
    /// Pending and failed tables show at most this many (the counts say how many there are).
    static let outboxShown = 200
    /// A health check that takes longer is reported as timed out: the page never waits longer.
    static let healthTimeout: Duration = .seconds(2)

    func outboxRow(_ i: OutboxItem) -> OutboxPage.Row {
        let pack = engine.pack
        let n = i.notification
        // Calendar notices and report reminders name a stream, not a case: no link.
        let isCase = i.caseID != 0
        return .init(id: i.id, kind: n.kind.name, number: n.caseNumber, href: isCase ? "/console/cases/\(Self.query(n.caseNumber))" : nil,
                     recipients: n.recipients.map { pack.person($0)?.name ?? $0 }.joined(separator: "、"),
                     channel: i.channel, attempts: i.attempts, next: time(i.nextAttemptAt), lastError: i.lastError,
                     created: time(i.createdAt), delivered: time(i.deliveredAt))
    }

    @Sendable func outboxPage(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader, to: "查看外发通知")
        let q = request.uri.queryParameters
        let notice: String? = switch q["done"].map(String.init) {
        case "retried"?: "已将 \(q["n"].map(String.init) ?? "0") 条通知重新排入待发送，正在尝试发送；刷新本页查看结果。"
        case "none"?: "没有需要重试的通知。"
        default: nil
        }
        let store = engine.store
        let counts = try await store.outboxCounts()
        let pending = try await store.outbox(status: .pending, limit: Self.outboxShown)
        let failed = try await store.outbox(status: .failed, limit: Self.outboxShown)
        // The store lists oldest first and has no "delivered since" query yet: the recent ones are the
        // tail of at most `deliveredScan`; past that the page says the list is incomplete.
        let since = api.now().addingTimeInterval(-Double(Self.deliveredDays) * 86400)
        let deliveredTotal = counts[.delivered] ?? 0
        let delivered = try await store.outbox(status: .delivered, limit: Self.deliveredScan)
            .filter { ($0.deliveredAt ?? $0.createdAt) >= since }.reversed()
        let pageNumber = max(1, q["page"].flatMap { Int(String($0)) } ?? 1)
        let pageRows = Array(delivered.dropFirst((pageNumber - 1) * Self.deliveredPerPage).prefix(Self.deliveredPerPage))
        let lastPage = max(1, (delivered.count + Self.deliveredPerPage - 1) / Self.deliveredPerPage)
        let plugins = await pluginHealth()
        let page = OutboxPage(
            chrome: chrome("外发通知", reader, current: "outbox", notice: notice),
            counts: OutboxItem.Status.allCases.map { .init(status: $0.rawValue, name: $0.name, count: counts[$0] ?? 0) },
            pending: pending.map(outboxRow), failed: failed.map(outboxRow), delivered: pageRows.map(outboxRow),
            deliveredDays: Self.deliveredDays, noPending: pending.isEmpty, noFailed: failed.isEmpty, noDelivered: pageRows.isEmpty,
            hasFailed: !failed.isEmpty,
            prev: pageNumber > 1 ? "/console/outbox?page=\(pageNumber - 1)#delivered" : nil,
            next: pageNumber < lastPage ? "/console/outbox?page=\(pageNumber + 1)#delivered" : nil,
            deliveredInfo: "近 \(Self.deliveredDays) 天共送达 \(delivered.count) 条" + (lastPage > 1 ? "，第 \(pageNumber)/\(lastPage) 页" : "")
                + (deliveredTotal > Self.deliveredScan ? "（已送达的通知超过 \(Self.deliveredScan) 条，此处只查看了最早的 \(Self.deliveredScan) 条，列表不完整；请用 kesu notifications list）" : ""),
            plugins: plugins, noChannels: engine.notifiers.isEmpty)
        return Self.html(pages.render(page, "outbox"))
    }

    /// Makes failed items pending and due now (one, or all with retry-all), then delivers in the
    /// background: a dead webhook must not hold the page.
    @Sendable func outboxRetryPost(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader, to: "重发通知")
        let form = try await self.form(request)
        let all = request.uri.path.hasSuffix("/retry-all")
        var ids: [Int64]?
        if !all {
            guard let raw = form["id"], let id = Int64(raw) else { throw ConsoleError(.badRequest, "缺少要重试的通知编号。") }
            ids = [id]
        }
        let engine = self.engine
        let now = api.now()
        let changed = try await engine.store.retryOutbox(ids: ids, at: now)
        api.logger.notice("outbox retried", metadata: ["items": "\(ids.map { "\($0)" } ?? "all failed")", "changed": "\(changed)", "by": "\(reader.id)"])
        if changed > 0 {
            let logger = api.logger
            Task.detached {
                do { _ = try await engine.deliverOutbox(at: now) } catch {
                    logger.warning("outbox delivery after retry failed", metadata: ["error": "\(error)"])
                }
            }
        }
        return Self.redirect(changed > 0 ? "/console/outbox?done=retried&n=\(changed)" : "/console/outbox?done=none")
    }

    /// One configured driver to check: a notification channel, or the scorer.
    struct Checked: Sendable {
        var name: String
        var about: DriverInfo
        var check: @Sendable (Duration) async throws -> String?
    }

    /// Every configured channel and the scorer with their health, checked all at once, each given `healthTimeout`.
    func pluginHealth() async -> [OutboxPage.Plugin] {
        let scorer = engine.planner.scorer
        let channels = engine.notifiers.sorted { $0.key < $1.key }.map { name, n in
            Checked(name: name, about: n.about, check: { try await n.checkHealth(timeout: $0) })
        } + [Checked(name: "评分", about: scorer.about, check: { try await scorer.checkHealth(timeout: $0) })]
        let results = await withTaskGroup(of: (String, Result<String?, any Error>).self) { group in
            for c in channels {
                group.addTask {
                    do { return (c.name, .success(try await Self.withDeadline(Self.healthTimeout) { try await c.check(Self.healthTimeout) })) }
                    catch { return (c.name, .failure(error)) }
                }
            }
            var out: [String: Result<String?, any Error>] = [:]
            for await (name, r) in group { out[name] = r }
            return out
        }
        return channels.map { c in
            let (name, about) = (c.name, c.about)
            let (health, ok): (String, Bool) = switch results[name] {
            case .success(let note?)?: ("正常（\(note)）", true)
            case .success(nil)?: ("无需检查", true)
            case .failure(let e as HealthTimeout)?: ("\(e.seconds) 秒内无响应", false)
            case .failure(let e)?: ("异常：\(e)", false)
            case nil: ("未检查", false)
            }
            return .init(channel: name, kind: about.kind + (about.target.map { " · \($0)" } ?? ""), plugin: about.plugin ?? "—",
                         version: about.version ?? "—", health: health, ok: ok)
        }
    }

    struct HealthTimeout: Error { var seconds: Int64 }

    /// The operation's result, or `HealthTimeout` once `limit` has passed; the caller never waits
    /// longer, even for an operation that ignores cancellation.
    static func withDeadline<T: Sendable>(_ limit: Duration, _ op: @escaping @Sendable () async throws -> T) async throws -> T {
        let once = Once<T>()
        return try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T, any Error>) in
            once.set(cont)
            let work = Task {
                do { once.resume(.success(try await op())) } catch { once.resume(.failure(error)) }
            }
            Task {
                try? await Task.sleep(for: limit)
                if once.resume(.failure(HealthTimeout(seconds: limit.components.seconds))) { work.cancel() }
            }
        }
    }

    /// Resumes a continuation once, whichever finishes first.
    final class Once<T: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var cont: CheckedContinuation<T, any Error>?
        func set(_ c: CheckedContinuation<T, any Error>) { lock.withLock { cont = c } }
        @discardableResult func resume(_ r: Result<T, any Error>) -> Bool {
            let c: CheckedContinuation<T, any Error>? = lock.withLock { let c = cont; cont = nil; return c }
            c?.resume(with: r)
            return c != nil
        }
    }
}

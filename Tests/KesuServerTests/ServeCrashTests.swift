import Foundation
import KesuKernel
import KesuSQLite
import Testing

/// Nothing acknowledged is lost: clients register complaints with idempotency keys while the
/// server is killed with SIGKILL at random moments and restarted; each client retries what had no
/// answer. Afterwards every acknowledged case is there with all its events, there are no
/// duplicates, and no case lacks its events.
@Suite("kesu serve: killed under load")
struct ServeCrashTests {
    /// Who got which answer, shared by the clients.
    final class Ledger: @unchecked Sendable {
        private let lock = NSLock()
        private var acknowledged: [String: String] = [:]
        private(set) var retries = 0
        func ack(_ key: String, _ number: String) -> String? { lock.withLock { defer { acknowledged[key] = number }; return acknowledged[key] } }
        func retried() { lock.withLock { retries += 1 } }
        var all: [String: String] { lock.withLock { acknowledged } }
    }

    final class Current: @unchecked Sendable {
        private let lock = NSLock()
        private var server: ServeProcessTests.Server
        init(_ s: ServeProcessTests.Server) { server = s }
        var value: ServeProcessTests.Server { get { lock.withLock { server } } set { lock.withLock { server = newValue } } }
    }

    @Test("four clients, three SIGKILLs: every acknowledged intake survives, exactly once")
    func killedUnderLoad() async throws {
        let dir = try Paths.temp("kesu-crash")
        let rules = Paths.pack("tobacco-prefecture")
        let db = dir.appendingPathComponent("kesu.db").path
        let token = try ServeProcessTests.usersAdd("zhao_min", rules: rules, db: db, in: dir)
        let first = try ServeProcessTests.Server(dir: dir, rules: rules, db: db)
        let port = first.port
        let current = Current(first)
        defer { if current.value.process.isRunning { current.value.process.terminate() } }
        try await first.waitReady()

        let ledger = Ledger()
        let clients = 4, perClient = 25
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in 0..<clients {
                group.addTask {
                    for i in 0..<perClient {
                        let key = "crash-\(c)-\(i)"
                        var fields = SafeWriteTests.fields
                        fields["subject"] = "投诉 \(key)"
                        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["fields": fields]), as: UTF8.self)
                        while true {
                            // No answer (refused connection, reset, timeout): the client retries the same key.
                            if let (status, reply) = try? await current.value.request("POST", "/v1/cases", token: token, body: body, headers: ["Idempotency-Key": key]),
                               status == 201 || status == 200, let number = (reply["case"] as? [String: Any])?["number"] as? String {
                                let earlier = ledger.ack(key, number)
                                #expect(earlier == nil || earlier == number, "\(key) was answered with two cases: \(earlier!) and \(number)")
                                break
                            }
                            ledger.retried()
                            try await Task.sleep(for: .milliseconds(30))
                        }
                    }
                }
            }
            group.addTask {
                for _ in 0..<3 {
                    try await Task.sleep(for: .milliseconds(Int.random(in: 150...500)))
                    let victim = current.value
                    kill(victim.process.processIdentifier, SIGKILL)
                    victim.process.waitUntilExit()
                    let next = try ServeProcessTests.Server(dir: dir, rules: rules, db: db, port: port)
                    current.value = next
                    try await next.waitReady()
                }
            }
            try await group.waitForAll()
        }
        current.value.process.terminate()
        current.value.process.waitUntilExit()

        let acknowledged = ledger.all
        #expect(ledger.retries > 0, "the kills must interrupt the clients for this test to mean anything")
        #expect(acknowledged.count == clients * perClient)
        #expect(Set(acknowledged.values).count == acknowledged.count, "two keys answered with one case")
        let store = try SQLiteStore(path: db)
        let cases = try await store.list(CaseQuery(limit: 10_000))
        #expect(cases.count == acknowledged.count, "a case was registered twice or one is missing (\(ledger.retries) retries)")
        for number in acknowledged.values {
            let id = try #require(try await store.caseID(number: number), "acknowledged \(number) is gone")
            let events = try await store.events(caseID: id)
            let summary = try #require(try await store.summary(caseID: id))
            #expect(!events.isEmpty && events.first?.type == "intake", "\(number) has no intake event")
            #expect(events.count == summary.version, "\(number): \(events.count) events for version \(summary.version)")
            #expect(events.map(\.seq) == Array(1...events.count), "\(number): a gap in its events")
        }
    }
}

import Dispatch
import Foundation
import KesuKernel
import KesuServer
import KesuSQLite
import KesuYAML
import Synchronization
import Testing

@Suite("LiveRules: reloads")
struct LiveRulesTests {
    /// Loading a pack reads and validates YAML for as long as the pack is large. Run on the
    /// cooperative pool, a few reloads at once would hold every one of its threads and stall
    /// every request; run beside it, requests go on and the swap is one short lock.
    @Test("reloads load the pack off the cooperative pool: other work goes on while a slow pack loads")
    func reloadsDoNotHoldThePool() async throws {
        let store = try SQLiteStore(path: try Paths.temp("kesu-reload").appendingPathComponent("kesu.db").path)
        let slow = Flag()
        let gate = DispatchSemaphore(value: 0)
        let rules = try LiveRules(rulesPath: Paths.pack("tobacco-prefecture"), at: Date()) { loaded in
            if slow.isSet { gate.wait() }
            return try Engine(pack: loaded.pack, store: store, snapshot: loaded.snapshot, resolver: StoredPackResolver(store: store))
        }
        _ = slow.set()
        // More reloads than the pool has threads; each one's pack takes until the gate opens.
        let reloads = ProcessInfo.processInfo.activeProcessorCount + 2
        let opened = Flag()
        let open: @Sendable () -> Void = { if opened.set() { for _ in 0..<reloads { gate.signal() } } }
        // Opened by the test once other work ran, or, when the pool is held, by this timer. Other
        // suites' blocking calls (child processes waited for) can hold the whole pool for a minute
        // and more in a full parallel run, so the timer is far beyond any run of the suite: a pool
        // held by the reloads themselves still fails the test, only late.
        DispatchQueue.global().asyncAfter(deadline: .now() + 600, execute: open)
        let before = rules.info.version
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<reloads { group.addTask { try await rules.reload(at: Date()) } }
            try await Task.sleep(for: .milliseconds(300))
            let ranWhileLoading = await Task.detached { !opened.isSet && rules.info.version == before }.value
            #expect(ranWhileLoading, "work on the cooperative pool waited for the packs to load")
            open()
            try await group.waitForAll()
        }
        #expect(rules.info.version == before, "the same pack, reloaded")
    }
}

final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    /// Sets it; true if it was not set before.
    func set() -> Bool { value.withLock { was in defer { was = true }; return !was } }
}

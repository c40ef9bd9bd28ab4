import Foundation
import KesuKernel
import KesuRendering
import Synchronization

/// The rules desk's replays: each runs in the background on the instance that started it,
/// writing its progress to the candidate's stream about once a second (any instance's page shows
/// it) and stopping when anyone asks (a flag in the store, read on each progress write).
final class ReplayJobs: Sendable {
    private let running = Mutex<[String: Task<Void, Never>]>([:])

    var count: Int { running.withLock { $0.count } }

    /// Starts replaying the store's cases under `old` (the pack in force) and `new` (the candidate).
    func start(api: KesuAPI, candidate: String, old: RulePack, new: RulePack, by: String) async throws -> String {
        let job = Accounts.randomSecret().prefix(16).lowercased()
        let desk = api.desk
        let store = api.rules.engine.store
        let started = api.now()
        let zone = api.rules.engine.planner.calendar.timeZone
        let first = ReplayJobRecord(job: String(job), status: .running, done: 0, total: 0, instance: api.settings.instanceID, by: by,
                                     startedAt: started, updatedAt: started, against: old.version)
        try await desk.replay(candidate, first)
        let progress = Latest()
        let task = Task {
            var record = first
            let replay = Task {
                // Only the cases the change can reach, on every core: the same differences as replaying them all.
                try await ReplayReport.run(store: store, old: old, new: new, horizon: started, time: { ChineseTime.format($0, in: zone) },
                                           scope: .affected, progress: { p in progress.withLock { $0 = p } })
            }
            // The monitor: progress to the store, and the store's cancel flag back to the replay.
            let monitor = Task { [record] in
                var written = ReplayProgress(done: -1, total: -1)
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    if Task.isCancelled { return }
                    let p = progress.withLock { $0 }
                    if p != written {
                        written = p
                        var r = record
                        r.done = p.done; r.total = p.total; r.updatedAt = api.now()
                        try? await desk.replay(candidate, r)
                    }
                    if (try? await desk.cancelRequested(job: String(job))) == true { replay.cancel(); return }
                }
            }
            let result = await replay.result
            monitor.cancel()
            let p = progress.withLock { $0 }
            record.done = p.done; record.total = p.total; record.updatedAt = api.now()
            switch result {
            case let .success(report):
                record.status = .finished
                record.done = report.examined; record.total = max(p.total, report.examined)
                record.changed = report.differences.count
                record.byKind = report.byKind
                record.byUnit = report.byUnit
                record.report = Self.trimmed(report)
            case let .failure(error) where error is CancellationError:
                record.status = .cancelled
            case let .failure(error):
                record.status = .failed
                record.message = "\(error)"
            }
            do { try await desk.replay(candidate, record) } catch {
                api.logger.error("could not record the end of a replay", metadata: ["job": "\(job)", "error": "\(error)"])
            }
            _ = self.running.withLock { $0.removeValue(forKey: String(job)) }
        }
        running.withLock { $0[String(job)] = task }
        return String(job)
    }

    /// Stops a job running here at once (the store's flag stops it on any instance within a second).
    func cancel(_ job: String) {
        running.withLock { $0[job] }?.cancel()
    }

    /// Kept in the store whole up to this many changed cases; beyond, the counts stay exact and the list is cut.
    static let keptDifferences = 5000

    static func trimmed(_ r: ReplayReport) -> ReplayReport {
        var r = r
        if r.differences.count > keptDifferences { r.differences = Array(r.differences.prefix(keptDifferences)) }
        return r
    }
}

/// The replay's latest progress, read by the monitor.
final class Latest: Sendable {
    private let value = Mutex(ReplayProgress(done: 0, total: 0))
    func withLock<T>(_ body: (inout ReplayProgress) -> T) -> T { value.withLock { body(&$0) } }
}

import Foundation
import KesuKernel
import Logging
import ServiceLifecycle

/// A source the server polls (kesu.yaml's `sources:`), every `every`.
public struct ScheduledSource: Sendable {
    public var intake: SourceIntake
    public var every: Duration
    public init(intake: SourceIntake, every: Duration) { self.intake = intake; self.every = every }
}

/// Polls each configured source on its schedule and registers what it brings (`SourceIntake`). Instances sharing
/// a database take the lease `source:<name>` for each poll, so one of them polls a source at a time; the
/// idempotency key makes a poll that overlaps anyway harmless.
public struct SourcesService: Service {
    let api: KesuAPI

    public func run() async throws {
        let sources = api.settings.sources
        // A service that returns ends the server's group: with nothing to poll, wait for the shutdown.
        guard !sources.isEmpty else {
            try? await gracefulShutdown()
            return
        }
        api.logger.info("sources service started", metadata: ["sources": "\(sources.map(\.intake.name).joined(separator: ", "))"])
        await withTaskGroup(of: Void.self) { group in
            for source in sources {
                group.addTask {
                    while !Task.isShuttingDownGracefully && !Task.isCancelled {
                        _ = await tick(source)
                        do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: source.every) } } catch { break }
                    }
                }
            }
        }
        api.logger.info("sources service stopped")
    }

    /// Polls one source now if this instance holds (or can take) its lease; nil when another instance holds it.
    public func tick(_ source: ScheduledSource) async -> SourcePollReport? {
        let engine = api.rules.engine
        let now = api.now()
        let lease = source.every * 2 + .seconds(30)
        let until = now.addingTimeInterval(Double(lease.components.seconds))
        do {
            guard try await engine.store.acquireLease("source:\(source.intake.name)", holder: api.settings.instanceID, until: until, now: now) else {
                return nil
            }
        } catch {
            api.logger.error("source lease failed", metadata: ["source": "\(source.intake.name)", "error": "\(error)"])
            return nil
        }
        let report = await source.intake.run(engine: engine, at: now)
        if report.polled > 0 || report.error != nil {
            api.logger.info("source polled", metadata: [
                "source": "\(report.source)", "polled": "\(report.polled)", "created": "\(report.created.count)",
                "existing": "\(report.existing.count)", "refused": "\(report.refused.count)",
            ])
        }
        if let error = report.error { api.logger.warning("source failed", metadata: ["source": "\(report.source)", "error": "\(error)"]) }
        do { try await SourceRunLog.record(report, in: engine.store) } catch {
            api.logger.error("source log not written", metadata: ["source": "\(report.source)", "error": "\(error)"])
        }
        return report
    }
}

import Foundation
import KesuKernel
import KesuViews
import Logging
import ServiceLifecycle
import UnixSignals

/// Runs the sweep on a schedule inside the server: reminders, escalations and violations,
/// periodic-report reminders and late records, then the outbox. Instances sharing a database
/// take the store's `sweep` lease each tick, so one of them sweeps per tick; if it stops, the
/// lease runs out and another takes over. Every item fires exactly once however many sweep
/// (the store's version check refuses a second write of the same step).
public struct SweepService: Service {
    public struct Tick: Sendable {
        public var at: Date
        public var cases: Engine.SweepReport
        public var reports: [ReportSweepItem]
        public var calendar: CalendarDutiesReport
        public var delivery: DeliveryReport
    }

    let api: KesuAPI
    static let leaseName = "sweep"

    /// Sweeps now if this instance holds (or can take) the lease; nil when another instance holds it.
    public func tick() async throws -> Tick? {
        let now = api.now()
        let engine = api.rules.engine
        let lease = api.settings.sweepInterval * 2
        let until = now.addingTimeInterval(Double(lease.components.seconds) + Double(lease.components.attoseconds) / 1e18)
        guard try await engine.store.acquireLease(Self.leaseName, holder: api.settings.instanceID, until: until, now: now) else {
            return nil
        }
        return try await run(engine: engine, at: now)
    }

    /// Sweeps now regardless of the lease (an administrator's call; safe, as items fire once).
    func sweepNow() async throws -> Tick {
        try await run(engine: api.rules.engine, at: api.now())
    }

    func run(engine: Engine, at now: Date) async throws -> Tick {
        let start = ContinuousClock.now
        // A changed holiday calendar is adopted first, so the sweep fires on the re-planned due times.
        let calendar = try await engine.calendarDuties(at: now)
        let cases = try await engine.sweep(at: now)
        let reports = try await engine.sweepReports(at: now)
        let delivery = try await engine.deliverOutbox(at: now)
        let delivered = delivery.delivered
        api.metrics.sweep(duration: ContinuousClock.now - start, fired: cases.fired.count + reports.count, delivered: delivered)
        if !cases.fired.isEmpty || !reports.isEmpty || !delivery.attempts.isEmpty || !cases.problems.isEmpty {
            api.logger.info("sweep", metadata: [
                "examined": "\(cases.casesExamined)", "fired": "\(cases.fired.count)", "reports": "\(reports.count)",
                "delivered": "\(delivered)", "attempts": "\(delivery.attempts.count)", "problems": "\(cases.problems.count)",
            ])
        }
        for p in cases.problems { api.logger.warning("sweep skipped a case", metadata: ["reason": "\(p)"]) }
        if calendar.adopted || !calendar.moved.isEmpty {
            api.logger.notice("holiday calendar adopted", metadata: [
                "calendar": "\(calendar.calendar.prefix(12))", "examined": "\(calendar.casesExamined)", "moved": "\(calendar.moved.count)",
            ])
        }
        if calendar.deferred {
            api.logger.notice("holiday calendar differs from the one another instance adopted; waiting before adopting it again",
                              metadata: ["calendar": "\(calendar.calendar.prefix(12))"])
        }
        for s in calendar.skipped { api.logger.warning("calendar re-plan skipped a case", metadata: ["case": "\(s.caseNumber)", "reason": "\(s.reason)"]) }
        if calendar.noticeSent {
            api.logger.warning("holiday calendar coverage ends soon", metadata: [
                "coverage_end": "\(calendar.coverageEnd?.description ?? "-")", "days_left": "\(calendar.coverageDaysLeft)",
            ])
        }
        return Tick(at: now, cases: cases, reports: reports, calendar: calendar, delivery: delivery)
    }

    public func run() async throws {
        api.logger.info("sweep service started", metadata: ["interval": "\(api.settings.sweepInterval)", "instance": "\(api.settings.instanceID)"])
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do { _ = try await tick() } catch {
                // A store outage must not stop the server: log it and try at the next tick.
                api.logger.error("sweep failed", metadata: ["error": "\(error)"])
            }
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: api.settings.sweepInterval) } } catch { break }
        }
        api.logger.info("sweep service stopped")
    }

    /// The tick as `kesu sweep --json` prints it (KesuViews.SweepReportView).
    static func json(_ t: Tick, zone: TimeZone) -> JSONValue {
        (try? ViewJSON.value(SweepReportView(cases: t.cases, reports: t.reports, calendar: t.calendar, delivery: t.delivery, zone: zone))) ?? .null
    }
}

/// Reloads the rules on SIGHUP; a pack that does not validate is logged and the old one stays.
public struct ReloadOnHangupService: Service {
    let api: KesuAPI

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            _ = try? await api.reloadRules(reason: "SIGHUP")
        }
    }
}

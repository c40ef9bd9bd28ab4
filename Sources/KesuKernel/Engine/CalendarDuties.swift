import Foundation

// What the holiday calendar asks of a running deployment (docs/rule-packs.md, "The calendar year by year"):
// when its dated days change, running clocks are counted again on it (a calendar is a fact, so this reaches
// cases pinned to older packs too), and while the official calendar runs out within `coverageNoticeLead` the
// administrators are told through the outbox, again every `coverageNoticeInterval`, until it is extended.

/// What one pass of the calendar duties did.
public struct CalendarDutiesReport: Sendable, Codable, Equatable {
    /// A running clock whose due time moved.
    public struct Move: Sendable, Codable, Equatable {
        public var caseNumber: String
        /// `answer#1`.
        public var run: String
        public var from: Date
        public var to: Date
        public init(caseNumber: String, run: String, from: Date, to: Date) {
            self.caseNumber = caseNumber; self.run = run; self.from = from; self.to = to
        }
    }
    public var at: Date
    /// The fingerprint of the calendar in force (`CalendarRules.daysFingerprint`).
    public var calendar: String
    /// The calendar the clocks were counted on before, when this pass adopted a new one; nil when it did not.
    public var adoptedFrom: String?
    /// True when this pass adopted the calendar (the first pass on a store adopts it with `adoptedFrom` nil).
    public var adopted = false
    /// This instance's calendar was adopted before and another replaced it less than `calendarReadoptDelay` ago:
    /// instances with different rules share the store (a rolling deploy), so this one waits rather than
    /// re-planning every clock back.
    public var deferred = false
    public var casesExamined = 0
    public var moved: [Move] = []
    public var skipped: [Engine.SweepReport.Skipped] = []
    /// Days of official coverage left counting today (0: today's year is not covered).
    public var coverageDaysLeft: Int
    /// The last day the official calendar covers; nil when today is not covered.
    public var coverageEnd: LocalDate?
    /// True when this pass sent the administrators a coverage notice.
    public var noticeSent = false
}

extension Engine {
    /// The record stream keeping which calendar the clocks were counted on (`adopted`) and each coverage notice.
    public static let calendarStream = "calendar"
    /// The administrators are told this long before the official calendar's coverage ends…
    public static let coverageNoticeLead = 60
    /// …and again this often (days) until it is extended.
    public static let coverageNoticeInterval = 7
    /// How long an instance waits before adopting again a calendar another instance replaced (see `deferred`).
    public static let calendarReadoptDelay: TimeInterval = 3600

    struct AdoptedCalendar: Codable { var calendar: String; var moved: Int }
    struct CoverageNotice: Codable { var coverageEnd: LocalDate?; var daysLeft: Int; var recipients: [String] }

    /// Re-plans running clocks when the calendar's days changed since the last pass, and sends the coverage
    /// notice when it is due. Idempotent: a second pass at the same time changes nothing. The server's sweep
    /// and `kesu sweep` run it.
    public func calendarDuties(at now: Date) async throws -> CalendarDutiesReport {
        let calendar = planner.calendar
        let fingerprint = pack.calendar.daysFingerprint
        let today = calendar.localDate(of: now)
        var report = CalendarDutiesReport(at: now, calendar: fingerprint,
                                          coverageDaysLeft: calendar.coverageDaysLeft(from: today),
                                          coverageEnd: calendar.coverageEnd(from: today))
        var records = try await store.records(stream: Self.calendarStream)
        func adopted(_ r: RecordEvent) -> AdoptedCalendar? {
            r.type == "adopted" ? try? JSONDecoder().decode(AdoptedCalendar.self, from: Data(r.body.utf8)) : nil
        }
        let lastRecord = records.last { $0.type == "adopted" }
        let last = lastRecord.flatMap(adopted)
        // A calendar adopted before and replaced since, recently: another instance runs newer rules (or an older
        // one is still running); going back at once would move every clock twice.
        if last?.calendar != fingerprint, let lastRecord, records.contains(where: { adopted($0)?.calendar == fingerprint }),
           now < lastRecord.at.addingTimeInterval(Self.calendarReadoptDelay) {
            report.deferred = true
        } else if last?.calendar != fingerprint {
            report.adoptedFrom = last?.calendar
            try await replanAll(at: now, into: &report)
            let body = String(decoding: try JSONEncoder().encode(AdoptedCalendar(calendar: fingerprint, moved: report.moved.count)), as: UTF8.self)
            do {
                try await store.appendRecords(stream: Self.calendarStream, expectedVersion: records.count, events: [
                    RecordEvent(at: now, actor: Event.systemActor, type: "adopted", packVersion: pack.version, body: body),
                ])
                report.adopted = true
            } catch StoreError.recordConflict {
                // Another instance adopted it meanwhile; its notice decisions below are re-read.
            }
            records = try await store.records(stream: Self.calendarStream)
        }
        try await noticeIfDue(at: now, records: records, into: &report)
        return report
    }

    /// Counts every open case's running clocks again on the calendar in force.
    func replanAll(at now: Date, into report: inout CalendarDutiesReport) async throws {
        var moved: [CalendarDutiesReport.Move] = [], skipped: [Engine.SweepReport.Skipped] = []
        let examined = try await forEachCaseWithRunningClocks { id, history in
            do { moved += try await replan(id, history: history, at: now) } catch { skipped.append(await skip(id, error, at: now)) }
        }
        report.casesExamined += examined
        report.moved += moved
        report.skipped += skipped
    }

    /// Calls `body` with each open case that has a running clock (`planReplan` leaves the ones already due) and its
    /// history, read 500 cases at a time; returns how many. The ids are read first, so a case closed meanwhile
    /// cannot shift a page past one not yet seen; a case opened meanwhile is planned on the calendar in force.
    func forEachCaseWithRunningClocks(_ body: (Int64, [Event]) async throws -> Void) async throws -> Int {
        var ids: [Int64] = []
        var offset = 0
        while true {
            let cases = try await store.list(CaseQuery(openOnly: true, limit: 1000, offset: offset))
            if cases.isEmpty { break }
            offset += cases.count
            // Any running clock: a case overdue on one clock may have another still to run.
            ids += cases.filter { $0.earliestDue != nil }.map(\.id)
        }
        var start = 0
        while start < ids.count {
            let batch = Array(ids[start..<min(start + 500, ids.count)])
            start += batch.count
            let histories = Dictionary(grouping: try await store.events(caseIDs: batch), by: \.caseID)
            for id in batch { try await body(id, histories[id] ?? []) }
        }
        return ids.count
    }

    /// `history` is the case as read with its batch; a conflict (the case changed meanwhile) reads it again.
    func replan(_ id: Int64, history first: [Event], at now: Date) async throws -> [CalendarDutiesReport.Move] {
        for attempt in 0..<3 {
            let history = attempt == 0 && !first.isEmpty ? first : try await store.events(caseID: id)
            let current = CaseState(events: history)
            let rules = try await planner(for: current)
            let events = try rules.planReplan(history: history, on: current, at: now)
            guard !events.isEmpty else { return [] }
            do {
                _ = try await commit(events, to: current, under: rules)
            } catch let e as KesuError where e.code == .conflict && attempt < 2 {
                continue
            }
            return events.compactMap { e in
                guard case let .clockReplanned(run, due, previous, _) = e.body else { return nil }
                return .init(caseNumber: current.number, run: run.description, from: previous, to: due)
            }
        }
        return []
    }

    /// The running clocks whose due times would move if `calendar`'s days were adopted (`rules diff --replay`
    /// lists them before a deploy): nothing is written.
    public func calendarMoves(to calendar: CalendarRules, at now: Date) async throws -> [CalendarDutiesReport.Move] {
        var out: [CalendarDutiesReport.Move] = []
        var planners: [String: Planner] = [:]
        _ = try await forEachCaseWithRunningClocks { _, history in
            let current = CaseState(events: history)
            let rules: Planner
            if let p = planners[current.packVersion] {
                rules = p
            } else {
                var pack = try await planner(for: current).pack
                pack.calendar = pack.calendar.adoptingDays(of: calendar)
                rules = try Planner(pack: pack, scorer: planner.scorer)
                planners[current.packVersion] = rules
            }
            for e in try rules.planReplan(history: history, on: current, at: now) {
                guard case let .clockReplanned(run, due, previous, _) = e.body else { continue }
                out.append(.init(caseNumber: current.number, run: run.description, from: previous, to: due))
            }
        }
        return out
    }

    /// The people told about the calendar: holders of a role with the `rules_admin` permission.
    public var calendarAdministrators: [String] {
        let roles = Set(pack.roles.filter { $0.permissions.contains(.rulesAdmin) }.map(\.id))
        return pack.people.filter { !roles.isDisjoint(with: $0.roles) }.map(\.id)
    }

    func noticeIfDue(at now: Date, records: [RecordEvent], into report: inout CalendarDutiesReport) async throws {
        guard report.coverageDaysLeft <= Self.coverageNoticeLead else { return }
        let previous = records.last { $0.type == "coverage_notice" }
        let previousEnd = previous.flatMap { try? JSONDecoder().decode(CoverageNotice.self, from: Data($0.body.utf8)) }?.coverageEnd
        if let previous, previousEnd == report.coverageEnd,
           now < previous.at.addingTimeInterval(Double(Self.coverageNoticeInterval) * 86_400) { return }
        let recipients = calendarAdministrators
        let calendar = planner.calendar
        let end = report.coverageEnd ?? planner.calendar.localDate(of: now)
        let firstUncovered = (report.coverageEnd?.year ?? end.year - 1) + 1
        var n = Notification(kind: .calendar, caseNumber: Self.calendarStream, recipients: recipients, at: now,
                             dueAt: report.coverageEnd.map { calendar.instant(calendar.nextDay($0), minute: 0) },
                             period: String(firstUncovered))
        n.text = wording.text(for: n, pack: pack, zone: calendar.timeZone)
        let body = String(decoding: try JSONEncoder().encode(CoverageNotice(coverageEnd: report.coverageEnd, daysLeft: report.coverageDaysLeft,
                                                                            recipients: recipients)), as: UTF8.self)
        do {
            try await store.appendRecords(stream: Self.calendarStream, expectedVersion: records.count, events: [
                RecordEvent(at: now, actor: Event.systemActor, type: "coverage_notice", packVersion: pack.version, body: body),
            ], outbox: outboxEntries([n]))
            report.noticeSent = true
        } catch StoreError.recordConflict {
            // Another instance wrote to the stream meanwhile: the next pass decides again.
        }
    }
}

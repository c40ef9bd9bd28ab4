import Foundation

/// A periodic report one unit owes for one quarter (第十二条: each unit's analysis by the 15th of
/// the quarter's last month, the center's summary by the 20th), and where it stands. Its history
/// is the record stream `report:<quarter>:<report>:<unit>`: `reminded`, `late`, `submitted`.
public struct ReportDuty: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable { case open, late, submitted, submittedLate = "submitted_late" }
    public var quarter: String
    public var reportID: String
    public var reportName: String
    public var unit: String
    /// The close of business on the due date.
    public var due: Date
    public var status: Status
    public var reminded: Bool
    public var submittedAt: Date?
    public var submittedBy: String?
    public var note: String?

    public var stream: String { ReportDuty.stream(quarter: quarter, report: reportID, unit: unit) }
    static func stream(quarter: String, report: String, unit: String) -> String { "report:\(quarter):\(report):\(unit)" }
}

/// What a report record says (the body of its RecordEvent).
struct ReportRecord: Codable {
    var due: Date
    var recipients: [String]?
    var note: String?
}

/// One thing the report sweep did.
public struct ReportSweepItem: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case reminded, late }
    public var kind: Kind
    public var quarter: String
    public var reportID: String
    public var unit: String
    public var due: Date
    public var recipients: [String]
}

extension Engine {
    /// Units that owe a report: for `by: unit` every unit with a liaison (督察考评员) other than
    /// the center; for `by: center` the center.
    func owingUnits(_ def: PeriodicReportDef) -> [UnitDef] {
        switch def.by {
        case .center: pack.units.filter(\.isCenter)
        case .unit: pack.units.filter { !$0.isCenter && $0.liaison != nil }
        }
    }

    func dueInstant(_ def: PeriodicReportDef, quarter: Period) throws -> Date {
        guard quarter.kind == .quarter, let y = Int(quarter.label.prefix(4)), let q = Int(quarter.label.suffix(1)) else {
            throw KesuError(.invalidInput, "periodic reports fall due per quarter: give a quarter like 2026Q4, not '\(quarter.label)'")
        }
        let closing = pack.calendar.businessHours.map(\.end).max() ?? 24 * 60
        return planner.calendar.instant(def.due(year: y, quarter: q), minute: closing)
    }

    /// Every report owed in the quarter, with its status at `now` (nil: as recorded).
    public func reportDuties(quarter: Period, at now: Date? = nil) async throws -> [ReportDuty] {
        let records = Dictionary(grouping: try await store.records(streamPrefix: "report:\(quarter.label):"), by: \.stream)
        var out: [ReportDuty] = []
        for def in pack.reporting.reports {
            let due = try dueInstant(def, quarter: quarter)
            for unit in owingUnits(def) {
                var d = ReportDuty(quarter: quarter.label, reportID: def.id, reportName: def.name, unit: unit.id, due: due,
                                   status: .open, reminded: false)
                for r in records[d.stream] ?? [] {
                    switch r.type {
                    case "reminded": d.reminded = true
                    case "late": d.status = .late
                    case "submitted":
                        d.submittedAt = r.at
                        d.submittedBy = r.actor
                        d.note = (try? JSONDecoder().decode(ReportRecord.self, from: Data(r.body.utf8)))?.note
                        d.status = r.at > due ? .submittedLate : .submitted
                    default: break
                    }
                }
                if d.status == .open, let now, now > due { d.status = .late }
                out.append(d)
            }
        }
        return out.sorted { ($0.due, $0.reportID, $0.unit) < ($1.due, $1.reportID, $1.unit) }
    }

    /// Records that a unit handed in its report. A person of the owing unit submits it; once is enough.
    public func submitReport(_ reportID: String, quarter: Period, unit: String?, note: String?, by actor: String, at now: Date) async throws -> ReportDuty {
        let person = try planner.person(actor)
        guard let def = pack.reporting.reports.first(where: { $0.id == reportID }) else {
            throw KesuError(.notFound, "no periodic report '\(reportID)'\(Suggest.hint(for: reportID, in: pack.reporting.reports.map(\.id)))")
        }
        let owing = owingUnits(def).map(\.id)
        let unitID = unit ?? person.unit ?? ""
        guard owing.contains(unitID) else {
            throw KesuError(.invalidValue, "unit '\(unitID)' does not owe 《\(def.name)》; the units that do: \(owing.joined(separator: ", "))")
        }
        guard person.unit == unitID else {
            throw KesuError(.forbidden, "\(person.name) (\(person.id)) is not of \(unitID): a unit's report is handed in by one of its own people")
        }
        let stream = ReportDuty.stream(quarter: quarter.label, report: reportID, unit: unitID)
        let history = try await store.records(stream: stream)
        if let done = history.first(where: { $0.type == "submitted" }) {
            throw KesuError(.wrongState, "《\(def.name)》 of \(unitID) for \(quarter.label) was handed in at \(ISO8601.format(done.at, in: planner.calendar.timeZone)) by \(done.actor)")
        }
        let due = try dueInstant(def, quarter: quarter)
        let body = String(decoding: try JSONEncoder().encode(ReportRecord(due: due, note: note)), as: UTF8.self)
        try await store.appendRecords(stream: stream, expectedVersion: history.count, events: [
            RecordEvent(at: now, actor: actor, type: "submitted", packVersion: pack.version, body: body),
        ])
        return try await reportDuties(quarter: quarter, at: now).first { $0.stream == stream }!
    }

    /// Reminds whoever owes a report (its unit's liaison) `remind_working_days_before` working
    /// days before it is due, and records it late once the due time passes unsubmitted: each
    /// exactly once, however often the sweep runs. Reports fall due inside their own quarter, so
    /// the sweep looks at the quarter of `now`; it goes back to the one before only for reports
    /// it had already reminded (a sweep that did not run at the end of a quarter still records
    /// them late, and a new store is not flooded with a past quarter it never tracked).
    public func sweepReports(at now: Date) async throws -> [ReportSweepItem] {
        guard !pack.reporting.reports.isEmpty else { return [] }
        let today = planner.calendar.localDate(of: now)
        let q = (today.month - 1) / 3 + 1
        let labels = [q == 1 ? "\(today.year - 1)Q4" : "\(today.year)Q\(q - 1)", "\(today.year)Q\(q)"]
        var fired: [ReportSweepItem] = []
        for (i, label) in labels.enumerated() {
            let quarter = try Period.parse(label, calendar: planner.calendar)
            for duty in try await reportDuties(quarter: quarter) where duty.submittedAt == nil && (i == 1 || duty.reminded) {
                guard let def = pack.reporting.reports.first(where: { $0.id == duty.reportID }) else { continue }
                let recipients = [pack.unit(duty.unit)?.liaison].compactMap { $0 }
                var events: [RecordEvent] = []
                let remindAt = remindInstant(def, due: duty.due)
                if !duty.reminded, let remindAt, now >= remindAt, now < duty.due {
                    let body = String(decoding: try JSONEncoder().encode(ReportRecord(due: duty.due, recipients: recipients)), as: UTF8.self)
                    events.append(RecordEvent(at: now, actor: Event.systemActor, type: "reminded", packVersion: pack.version, body: body))
                    fired.append(.init(kind: .reminded, quarter: label, reportID: duty.reportID, unit: duty.unit, due: duty.due, recipients: recipients))
                }
                if duty.status != .late, now >= duty.due {
                    // Dated at the due time: the fact is that nothing had arrived by then.
                    let body = String(decoding: try JSONEncoder().encode(ReportRecord(due: duty.due, recipients: recipients)), as: UTF8.self)
                    events.append(RecordEvent(at: duty.due, actor: Event.systemActor, type: "late", packVersion: pack.version, body: body))
                    fired.append(.init(kind: .late, quarter: label, reportID: duty.reportID, unit: duty.unit, due: duty.due, recipients: recipients))
                }
                guard !events.isEmpty else { continue }
                let version = try await store.records(stream: duty.stream).count
                // The notifications go into the outbox in the same transaction as the records.
                let notes = fired.filter { $0.unit == duty.unit && $0.reportID == duty.reportID && $0.quarter == label }.map { item in
                    var n = Notification(kind: item.kind == .reminded ? .reminder : .violation, caseNumber: duty.stream,
                                         recipients: recipients, at: now, dueAt: duty.due, unit: duty.unit,
                                         report: duty.reportID, period: label)
                    n.text = wording.text(for: n, pack: pack, zone: planner.calendar.timeZone)
                    return n
                }
                do {
                    try await store.appendRecords(stream: duty.stream, expectedVersion: version, events: events,
                                                  outbox: outboxEntries(notes))
                } catch StoreError.recordConflict {
                    fired.removeAll { $0.unit == duty.unit && $0.reportID == duty.reportID && $0.quarter == label }
                    continue   // another sweep (or the submission) got there first
                }
            }
        }
        return fired
    }

    /// `remind_working_days_before` working days before the due date, at opening time.
    func remindInstant(_ def: PeriodicReportDef, due: Date) -> Date? {
        guard def.remindWorkingDaysBefore > 0 else { return nil }
        let calendar = planner.calendar
        var day = calendar.localDate(of: due)
        var left = def.remindWorkingDaysBefore
        var gregorian = Calendar(identifier: .gregorian)
        gregorian.timeZone = TimeZone(identifier: "UTC")!
        while left > 0 {
            let d = gregorian.date(from: DateComponents(year: day.year, month: day.month, day: day.day))!
            let prev = gregorian.dateComponents([.year, .month, .day], from: gregorian.date(byAdding: .day, value: -1, to: d)!)
            day = LocalDate(year: prev.year!, month: prev.month!, day: prev.day!)
            if calendar.isWorkingDay(day) { left -= 1 }
        }
        let opening = pack.calendar.businessHours.map(\.start).min() ?? 0
        return calendar.instant(day, minute: opening)
    }
}

extension Engine {
    /// The quarter named (`2026Q4`), or the one `now` falls in: periodic reports fall due per quarter.
    public func reportQuarter(_ text: String?, at now: Date) throws -> Period {
        let today = planner.calendar.localDate(of: now)
        let label = text ?? "\(today.year)Q\((today.month - 1) / 3 + 1)"
        let p = try Period.parse(label, calendar: planner.calendar)
        guard p.kind == .quarter else {
            throw KesuError(.invalidInput, "reports fall due per quarter: give a period like 2026Q4, not '\(label)'")
        }
        return p
    }
}

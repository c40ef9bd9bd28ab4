import Foundation
import KesuKernel

/// The case register (台账): one row per case opened in a window, as the appraisal office files it.
/// Built once here so the CLI (`kesu register`), the API (`GET /v1/register`) and the console's
/// download give the same rows; KesuRendering puts them into Chinese columns.
public struct CaseRegister: Sendable, Equatable {
    /// Whether a clock's time limit was kept on a case.
    public enum ClockResult: String, Sendable, Equatable {
        /// Stopped in time, and no run of it was late.
        case met
        /// Some run passed its due time (a recorded violation, a late stop, or running past due now).
        case missed
        /// Running (or paused) and not yet due.
        case running
        /// Never started on this case.
        case notStarted = "not_started"
    }

    public struct Row: Sendable, Equatable {
        public var number: String
        public var openedAt: Date
        /// Values as the pack labels them (`电话`, `投诉`); nil when the case has none.
        public var channel: String?
        public var kind: String?
        public var category: String?
        public var level: String?
        /// The subject, else the start of the description.
        public var summary: String
        /// Masked unless the reader may see personal data.
        public var complainantName: String?
        public var complainantPhone: String?
        public var handlingUnit: String?
        public var state: String
        public var closedAt: Date?
        /// One per `CaseRegister.clocks`, in that order.
        public var clocks: [ClockResult]
        /// The callback's answer as the pack labels it (`满意`), when the pack records callbacks and one was made.
        public var callback: String?
    }

    public struct Clock: Sendable, Equatable { public var id: String; public var name: String }

    /// Opened at or after `from`, before `until` (exclusive).
    public var from: Date
    public var until: Date
    public var timeZone: TimeZone
    public var clocks: [Clock]
    /// The callback column's heading (the field a callback records), nil when the pack records no callback.
    public var callbackField: String?
    /// Whether personal data was masked.
    public var masked: Bool
    public var rows: [Row]

    /// The longest summary kept from a description (the register is a list, the case page has the rest).
    public static let summaryLength = 60
}

extension CaseRegister {
    /// The register of the cases opened in [`from`, `until`), oldest first. `viewer` nil: the
    /// operator (the CLI without --as), unmasked; otherwise masked unless they have `personal_data`.
    public static func build(engine: Engine, from: Date, until: Date, viewer: Principal?, now: Date) async throws -> CaseRegister {
        let pack = engine.pack
        let masked = viewer.map { !$0.has(.personalData) } ?? false
        let clocks = pack.clocks.map { Clock(id: $0.id, name: $0.name) }
        let callbackFields = pack.procedure.transitions.filter { pack.reporting.callbackTransitions.contains($0.id) }.flatMap(\.requires)
        let callbackField = callbackFields.first
        // Every case opened in the window, in pages (a listing is capped per query); a case registered
        // meanwhile may shift a page, so each is kept once.
        var summaries: [CaseSummary] = []
        var seen = Set<Int64>()
        let page = 1000
        var offset = 0
        while true {
            let found = try await engine.store.list(CaseQuery(openedFrom: from, openedBefore: until, limit: page, offset: offset))
            offset += found.count
            for s in found where seen.insert(s.id).inserted { summaries.append(s) }
            if found.count < page { break }
        }
        summaries.sort { ($0.openedAt, $0.id) < ($1.openedAt, $1.id) }
        func row(_ s: CaseSummary, _ state: CaseState) -> Row {
            let f = state.fields
            func label(_ field: String) -> String? {
                guard let v = f[field], !v.isEmpty else { return nil }
                return pack.label(field: field, value: v) ?? v
            }
            let subject = f["subject"]?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            let description = (f["description"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let summary = !subject.isEmpty ? subject
                : description.count > summaryLength ? String(description.prefix(summaryLength)) + "…" : description
            func personal(_ field: String) -> String? {
                guard let v = f[field], !v.isEmpty else { return nil }
                return masked ? PersonalData.mask(field: field, value: v) : v
            }
            let results = pack.clocks.map { c -> ClockResult in
                let missed = state.violations.contains { $0.run?.clock == c.id }
                guard let clock = state.clocks[c.id] else { return missed ? .missed : .notStarted }
                if missed || clock.late || !clock.violations.isEmpty { return .missed }
                switch clock.status {
                case .stopped: return .met
                case .running: return clock.dueAt <= now ? .missed : .running
                case .paused: return .running
                }
            }
            return Row(
                number: s.number, openedAt: s.openedAt, channel: label("channel"), kind: label("kind"), category: label("category"),
                level: label("level"), summary: summary, complainantName: personal("complainant_name"),
                complainantPhone: personal("complainant_phone"),
                handlingUnit: s.handlingUnit.map { pack.unit($0)?.name ?? $0 },
                state: pack.state(s.state)?.name ?? s.state, closedAt: s.closedAt, clocks: results,
                callback: callbackField.flatMap(label))
        }
        // Histories are read and folded 500 cases at a time; only the rows are kept.
        var rows: [Row] = []
        rows.reserveCapacity(summaries.count)
        for start in stride(from: 0, to: summaries.count, by: 500) {
            let chunk = Array(summaries[start..<min(summaries.count, start + 500)])
            let events = try await engine.store.events(caseIDs: chunk.map(\.id))
            let states = Dictionary(grouping: events, by: \.caseID).mapValues { CaseState(events: $0) }
            rows += chunk.map { row($0, states[$0.id] ?? CaseState()) }
        }
        return CaseRegister(from: from, until: until, timeZone: engine.planner.calendar.timeZone, clocks: clocks,
                            callbackField: callbackField.map { CaseViewBuilder.fieldName($0, pack: pack) }, masked: masked, rows: rows)
    }
}

extension CaseRegister {
    /// From the start of day `from` to the end of day `until` (both `2026-10-01`, inclusive) in the pack's zone.
    public static func window(from: String, until: String, calendar: BusinessCalendar) throws -> (from: Date, until: Date) {
        guard let a = LocalDate(from.trimmingCharacters(in: .whitespaces)) else {
            throw KesuError(.invalidInput, "from '\(from)' is not a date like 2026-10-01")
        }
        guard let b = LocalDate(until.trimmingCharacters(in: .whitespaces)) else {
            throw KesuError(.invalidInput, "until '\(until)' is not a date like 2026-12-31")
        }
        guard a <= b else { throw KesuError(.invalidInput, "from \(from) is after until \(until)") }
        return (calendar.instant(a, minute: 0), calendar.instant(calendar.nextDay(b), minute: 0))
    }
}

extension CaseRegister {
    /// Records, before the register leaves, that `viewer` is shown these cases' complainant data unmasked:
    /// one view per case that has a name or phone, nothing when the register is masked or has no viewer
    /// (the operator at the CLI).
    public func recordViews(store: any CaseStore, viewer: Principal?, at: Date, via channel: PersonalDataView.Channel) async throws {
        guard let viewer, !masked else { return }
        let views = rows.filter { !($0.complainantName ?? "").isEmpty || !($0.complainantPhone ?? "").isEmpty }
            .map { PersonalDataView(person: viewer.id, caseNumber: $0.number, at: at, channel: channel) }
        if !views.isEmpty { try await PersonalDataViews(store: store).record(views) }
    }
}

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
    /// Holds every row: for a long window write them as they come with `frame` and `streamRows`.
    public static func build(engine: Engine, from: Date, until: Date, viewer: Principal?, now: Date) async throws -> CaseRegister {
        var register = frame(pack: engine.pack, timeZone: engine.planner.calendar.timeZone, from: from, until: until, viewer: viewer)
        var pages = register.pages(engine: engine, now: now)
        while let rows = try await pages.next() { register.rows += rows }
        return register
    }

    /// The register without its rows: window, clock and callback columns, masking.
    public static func frame(pack: RulePack, timeZone: TimeZone, from: Date, until: Date, viewer: Principal?) -> CaseRegister {
        let masked = viewer.map { !$0.has(.personalData) } ?? false
        let clocks = pack.clocks.map { Clock(id: $0.id, name: $0.name) }
        let callbackFields = pack.procedure.transitions.filter { pack.reporting.callbackTransitions.contains($0.id) }.flatMap(\.requires)
        return CaseRegister(from: from, until: until, timeZone: timeZone, clocks: clocks,
                            callbackField: callbackFields.first.map { CaseViewBuilder.fieldName($0, pack: pack) }, masked: masked, rows: [])
    }

    /// How many cases a chunk holds: their histories are read in one query and folded, then dropped.
    public static let chunkSize = 500

    /// The rows of the cases opened in the window, oldest first, `chunkSize` at a time: each chunk is
    /// read (one listing by position, one read of the histories), folded and handed to `each` before
    /// the next is read, so memory stays bounded however long the window. A case registered meanwhile
    /// after the last position read is included; one before it is not.
    public func streamRows(engine: Engine, now: Date, _ each: @Sendable ([Row]) async throws -> Void) async throws {
        var pages = pages(engine: engine, now: now)
        while let rows = try await pages.next() { try await each(rows) }
    }

    /// The rows as `streamRows` gives them, a chunk per `next()`: for a writer that pulls (an HTTP body).
    public func pages(engine: Engine, now: Date) -> Pages {
        let pack = engine.pack
        let callbackField = pack.procedure.transitions.filter { pack.reporting.callbackTransitions.contains($0.id) }
            .flatMap(\.requires).first
        return Pages(engine: engine, query: CaseQuery(openedFrom: from, openedBefore: until, order: .oldest, limit: Self.chunkSize),
                     masked: masked, callbackField: callbackField, now: now)
    }

    public struct Pages: Sendable {
        let engine: Engine
        var query: CaseQuery
        let masked: Bool
        /// The field a callback records (its id), nil when the pack records none.
        let callbackField: String?
        let now: Date
        var done = false

        /// The next chunk of rows, nil after the last.
        public mutating func next() async throws -> [Row]? {
            guard !done else { return nil }
            let pack = engine.pack
            let chunk = try await engine.store.list(query)
            guard let last = chunk.last else { done = true; return nil }
            if chunk.count < CaseRegister.chunkSize { done = true }
            query.after = CasePosition(last)
            let events = try await engine.store.events(caseIDs: chunk.map(\.id))
            let states = Dictionary(grouping: events, by: \.caseID).mapValues { CaseState(events: $0) }
            return chunk.map { CaseRegister.row($0, states[$0.id] ?? CaseState(), pack: pack, masked: masked, callbackField: callbackField, now: now) }
        }
    }

    static func row(_ s: CaseSummary, _ state: CaseState, pack: RulePack, masked: Bool, callbackField: String?, now: Date) -> Row {
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
        try await recordViews(of: rows, store: store, viewer: viewer, at: at, via: channel)
    }

    /// The next chunk of `pages`, its unmasked views recorded before it is handed out; nil after the last.
    public func next(_ pages: inout Pages, viewer: Principal?, at: Date, via channel: PersonalDataView.Channel) async throws -> [Row]? {
        guard let rows = try await pages.next() else { return nil }
        try await recordViews(of: rows, store: pages.engine.store, viewer: viewer, at: at, via: channel)
        return rows
    }

    /// `recordViews` for one chunk of rows, before it is written.
    public func recordViews(of rows: [Row], store: any CaseStore, viewer: Principal?, at: Date, via channel: PersonalDataView.Channel) async throws {
        guard let viewer, !masked else { return }
        let views = rows.filter { !($0.complainantName ?? "").isEmpty || !($0.complainantPhone ?? "").isEmpty }
            .map { PersonalDataView(person: viewer.id, caseNumber: $0.number, at: at, channel: channel) }
        if !views.isEmpty { try await PersonalDataViews(store: store).record(views) }
    }
}

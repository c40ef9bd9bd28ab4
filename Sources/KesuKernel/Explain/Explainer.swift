import Foundation

// Why a case went where it went and why its clocks are due when they are (`kesu rules explain`).
// Pure: built from a pack and a case's events (or from intake fields and a time), no I/O.

/// The routing table's verdict with the reason each earlier rule did not match.
public struct RoutingExplanation: Sendable, Equatable {
    public struct Rule: Sendable, Equatable {
        public var id: String
        public var name: String
        /// Why the rule did not match (empty for the matched rule).
        public var reasons: [String]
        /// The same reasons as values (`RouteMiss`), for pages that word them in Chinese.
        public var misses: [RouteMiss] = []
    }

    /// The fields routing was run on.
    public var fields: [String: String]
    /// For a stored case: the event whose fields were used (the last routing by rule), if any.
    public var basisSeq: Int?
    public var basisAt: Date?
    /// The rule that matches under the current pack, or nil when none does (no fallback).
    public var matched: Rule?
    public var unit: String?
    public var skipped: [Rule]
    /// For a stored case: the rule and unit the case recorded, and the pack version then.
    public var recordedRule: String?
    public var recordedUnit: String?
    public var recordedPackVersion: String?
    /// The case's handling unit now, and whether it was set by hand (a transfer) after routing.
    public var currentUnit: String?
    public var manualUnit: String?
    /// The recorded rule differs from what the current pack decides.
    public var differs: Bool
    /// The recorded routing was under another pack version.
    public var packChanged: Bool
}

/// One run of a clock: its start, length, the day-by-day walk to its due time, pauses,
/// extensions and how it ended.
public struct ClockRunExplanation: Sendable, Equatable {
    public struct Pause: Sendable, Equatable {
        public var pausedAt: Date
        /// Business seconds left when paused: kept for the resume.
        public var remaining: Double
        public var resumedAt: Date?
        /// The walk from the resume, adding the kept business time.
        public var resume: DueExplanation?
        /// The due time the resume recorded.
        public var dueAt: Date?
    }

    public struct Extension: Sendable, Equatable {
        public var at: Date
        public var approver: String
        public var reason: String
        public var oldDue: Date
        public var newDue: Date
        /// The length added, inferred from the two due times (the event records only the new one).
        public var length: ClockLength?
        public var walk: DueExplanation?
    }

    public enum Change: Sendable, Equatable {
        case pause(Pause)
        case extended(Extension)
    }

    public var run: ClockRun
    public var name: String
    public var startedAt: Date
    /// The clock's length under the current pack; nil when the pack no longer has this clock.
    public var length: ClockLength?
    /// The walk from the start to the first due time under the current pack.
    public var initial: DueExplanation?
    /// The due time the start recorded.
    public var recordedDue: Date
    /// Pauses (with their resumes) and extensions, in the order they happened.
    public var changes: [Change]
    /// The due time now (after pauses and extensions), as recorded.
    public var dueAt: Date
    public var status: ClockState.Status
    public var stoppedAt: Date?
    /// Stopped after its due time (as the stop recorded).
    public var late: Bool?
    /// Running past its due time at the explanation's `now`.
    public var overdue: Bool
    /// Differences between what the events recorded and what the current pack computes.
    public var notes: [String]

    public var pauses: [Pause] { changes.compactMap { if case let .pause(p) = $0 { p } else { nil } } }
    public var extensions: [Extension] { changes.compactMap { if case let .extended(x) = $0 { x } else { nil } } }
}

/// A clock that does not start (at intake), and why.
public struct ClockNotStarted: Sendable, Equatable {
    public var clock: String
    public var name: String
    public var reasons: [String]
}

public struct CaseExplanation: Sendable, Equatable {
    /// A stored case's number; nil for an explanation of intake fields.
    public var caseNumber: String?
    /// The instant the explanation is made at (`--now`, or `--at` for intake fields).
    public var at: Date
    public var routing: RoutingExplanation
    public var clocks: [ClockRunExplanation]
    /// Intake fields only: clocks that would not start at intake, and why.
    public var notStarted: [ClockNotStarted]
    /// The pack version the explanation was made under (a stored case: the rules it runs under).
    public var packVersion: String
    /// A stored case under older rules: what the pack in force now would route the same fields to.
    public var currentRouting: RoutingExplanation?
    /// The version of the pack in force, when it is not the one explained under.
    public var currentPackVersion: String?
    /// Anything the reader should know about the rules used.
    public var notes: [String]
}

/// Builds explanations from a rule pack.
public struct Explainer: Sendable {
    public let pack: RulePack
    public let calendar: BusinessCalendar

    public init(pack: RulePack) throws {
        self.pack = pack
        self.calendar = try BusinessCalendar(pack.calendar)
    }

    /// Only routing is used from `pack` here: the calendar stays the explainer's own.
    private init(pack: RulePack, calendar: BusinessCalendar) {
        self.pack = pack
        self.calendar = calendar
    }

    // MARK: Routing

    public func routing(_ fields: [String: String]) -> RoutingExplanation {
        let decision = Router(pack: pack).route(fields)
        func rule(_ id: String, _ reasons: [String], _ misses: [RouteMiss] = []) -> RoutingExplanation.Rule {
            .init(id: id, name: pack.routing.first { $0.id == id }?.name ?? "", reasons: reasons, misses: misses)
        }
        let skipped: [RoutingExplanation.Rule]
        if let decision {
            skipped = decision.skipped.map { s in
                // A failed condition on the region already says why `unit_from: region` has no unit.
                let def = pack.routing.first { $0.id == s.ruleID }
                let regionFailed = def?.when.contains { $0.field == "region" && !$0.holds(on: fields) } ?? false
                return rule(s.ruleID, regionFailed ? s.reasons.filter { $0 != Self.regionMissing } : s.reasons,
                            regionFailed ? s.misses.filter { if case .condition = $0 { true } else { false } } : s.misses)
            }
        } else {
            // No rule matched: every rule was skipped; ask the router for each rule's reasons.
            skipped = pack.routing.map { r in
                var reasons = r.when.filter { !$0.holds(on: fields) }.map { $0.whyNot(on: fields) }
                var misses = RouteMiss.failed(r.when, on: fields)
                if reasons.isEmpty, r.target == .regionUnit {
                    reasons.append("region names no unit")
                    misses.append(fields["region"].flatMap { $0.isEmpty ? nil : $0 }.map(RouteMiss.regionHasNoUnit) ?? .regionMissing)
                }
                return rule(r.id, reasons, misses)
            }
        }
        return RoutingExplanation(
            fields: fields, basisSeq: nil, basisAt: nil, matched: decision.map { rule($0.ruleID, []) }, unit: decision?.unit,
            skipped: skipped, recordedRule: nil, recordedUnit: nil, recordedPackVersion: nil, currentUnit: nil,
            manualUnit: nil, differs: false, packChanged: false)
    }

    // MARK: Intake fields

    /// What intake would decide for these fields at `at`: the route and every clock that starts
    /// at intake, with its due walk. Values are checked as intake checks them.
    public func explain(fields given: [String: String], at: Date) throws -> CaseExplanation {
        var fields: [String: String] = [:]
        let known = pack.allFieldIDs
        let planner = try Planner(pack: pack)
        for key in given.keys.sorted() {
            guard known.contains(key) else {
                throw KesuError(.unknownField, "no field '\(key)' in this pack\(Suggest.hint(for: key, in: known))")
            }
            let value = given[key]!.trimmingCharacters(in: .whitespaces)
            if value.isEmpty { continue }
            try planner.checkValue(value, of: key)
            fields[key] = value
        }
        var clocks: [ClockRunExplanation] = []
        var notStarted: [ClockNotStarted] = []
        for clock in pack.clocks {
            guard clock.start.contains(IntakeDef.transitionID) else {
                notStarted.append(.init(clock: clock.id, name: clock.name,
                                        reasons: ["starts on \(clock.start.joined(separator: ", ")), not at intake"]))
                continue
            }
            let failing = clock.when.filter { !$0.holds(on: fields) }
            guard failing.isEmpty else {
                notStarted.append(.init(clock: clock.id, name: clock.name, reasons: failing.map { $0.whyNot(on: fields) }))
                continue
            }
            let walk = try calendar.explainDue(from: at, length: clock.length)
            clocks.append(ClockRunExplanation(
                run: ClockRun(clock: clock.id, run: 1), name: clock.name, startedAt: at, length: clock.length,
                initial: walk, recordedDue: walk.due, changes: [], dueAt: walk.due, status: .running,
                stoppedAt: nil, late: nil, overdue: false, notes: []))
        }
        return CaseExplanation(caseNumber: nil, at: at, routing: routing(fields), clocks: clocks, notStarted: notStarted,
                               packVersion: pack.version, currentRouting: nil, currentPackVersion: nil, notes: [])
    }

    // MARK: Stored cases

    /// A stored case from its events: routing re-run on the fields as they stood when the case
    /// was last routed by rule, and every clock run it has had. `now` judges running clocks.
    ///
    /// Explain a case under the rules it runs under (`Engine.planner(for:)`); pass the pack in
    /// force as `current` when it differs, to show where today's rules would route it.
    public func explain(events: [Event], now: Date, current: RulePack? = nil) -> CaseExplanation {
        var state = CaseState()
        var basis: (seq: Int, at: Date, fields: [String: String], rule: String?, unit: String, version: String)?
        var manual: String?
        var runs: [ClockRun: ClockRunExplanation] = [:]
        var order: [ClockRun] = []
        var openPause: [ClockRun: Int] = [:]

        for e in events {
            let dueBefore: Date? = {
                switch e.body {
                case let .clockExtended(run, _, _, _, _): return runs[run]?.dueAt
                default: return nil
                }
            }()
            state.apply(e)
            switch e.body {
            case let .routed(unit, reason):
                if reason == "manual" {
                    manual = unit
                } else {
                    basis = (e.seq, e.at, state.fields, e.ruleID, unit, e.packVersion)
                    manual = nil
                }
            case let .clockStarted(run, startedAt, dueAt):
                let def = pack.clock(run.clock)
                var x = ClockRunExplanation(
                    run: run, name: def?.name ?? run.clock, startedAt: startedAt, length: def?.length, initial: nil,
                    recordedDue: dueAt, changes: [], dueAt: dueAt, status: .running, stoppedAt: nil, late: nil,
                    overdue: false, notes: [])
                if let def {
                    do {
                        let walk = try calendar.explainDue(from: startedAt, length: def.length)
                        x.initial = walk
                        if walk.due != dueAt {
                            x.notes.append("recorded due \(stamp(dueAt)) but the current pack's \(def.length) gives \(stamp(walk.due)): the pack changed since (recorded under version \(e.packVersion.prefix(12)))")
                        }
                    } catch {
                        x.notes.append("cannot compute the due time under the current pack: \(error)")
                    }
                } else {
                    x.notes.append("the current pack has no clock '\(run.clock)': the pack changed since")
                }
                runs[run] = x
                order.append(run)
            case let .clockPaused(run, remaining):
                guard var x = runs[run] else { continue }
                x.changes.append(.pause(.init(pausedAt: e.at, remaining: remaining, resumedAt: nil, resume: nil, dueAt: nil)))
                openPause[run] = x.changes.count - 1
                x.status = .paused
                runs[run] = x
            case let .clockResumed(run, dueAt):
                guard var x = runs[run] else { continue }
                if let i = openPause[run], case var .pause(p) = x.changes[i] {
                    p.resumedAt = e.at
                    p.dueAt = dueAt
                    if let walk = try? calendar.explainAdding(businessSeconds: p.remaining, to: e.at) {
                        p.resume = walk
                        if walk.due != dueAt {
                            x.notes.append("the resume recorded due \(stamp(dueAt)) but \(Self.duration(p.remaining)) of business time from \(stamp(e.at)) gives \(stamp(walk.due)) under the current calendar")
                        }
                    }
                    x.changes[i] = .pause(p)
                    openPause[run] = nil
                }
                x.status = .running
                x.dueAt = dueAt
                runs[run] = x
            case let .clockExtended(run, dueAt, reason, approver, granted):
                guard var x = runs[run] else { continue }
                let old = dueBefore ?? x.dueAt
                // The granted length is recorded; older events only have the new due time, so infer it.
                let (length, walk) = granted.flatMap { g in (try? calendar.explainDue(from: old, length: g)).map { (Optional(g), Optional($0)) } }
                    ?? inferExtension(from: old, to: dueAt)
                x.changes.append(.extended(.init(at: e.at, approver: approver, reason: reason, oldDue: old, newDue: dueAt,
                                                  length: length, walk: walk)))
                x.dueAt = dueAt
                runs[run] = x
            case let .clockStopped(run, late):
                guard var x = runs[run] else { continue }
                x.status = .stopped
                x.stoppedAt = e.at
                x.late = late
                runs[run] = x
            default:
                break
            }
        }

        var routing: RoutingExplanation
        if let basis {
            routing = self.routing(basis.fields)
            routing.basisSeq = basis.seq
            routing.basisAt = basis.at
            routing.recordedRule = basis.rule
            routing.recordedUnit = basis.unit
            routing.recordedPackVersion = basis.version
            routing.differs = routing.matched?.id != basis.rule || routing.unit != basis.unit
            routing.packChanged = basis.version != pack.version
        } else {
            // Not routed yet: what routing would decide on the fields as they stand.
            routing = self.routing(state.fields)
        }
        routing.currentUnit = state.handlingUnit
        routing.manualUnit = manual

        let clocks = order.compactMap { run -> ClockRunExplanation? in
            guard var x = runs[run] else { return nil }
            x.overdue = x.status == .running && now > x.dueAt
            return x
        }
        var x = CaseExplanation(caseNumber: state.number, at: now, routing: routing, clocks: clocks, notStarted: [],
                                packVersion: pack.version, currentRouting: nil, currentPackVersion: nil, notes: [])
        if let current, current.version != pack.version {
            x.currentPackVersion = current.version
            x.currentRouting = Explainer(pack: current, calendar: calendar).routing(routing.fields)
        }
        return x
    }

    /// The length an extension added, from the old and new due times: whole working days when the
    /// new due time is a closing time and that many days reach it, else business time.
    func inferExtension(from old: Date, to new: Date) -> (ClockLength?, DueExplanation?) {
        guard new > old else { return (nil, nil) }
        let hours = pack.calendar.businessHours
        let newDate = calendar.localDate(of: new)
        if new == calendar.instant(newDate, minute: hours[hours.count - 1].end) {
            let n = calendar.days(from: calendar.instant(calendar.nextDay(calendar.localDate(of: old)), minute: 0), to: new)
                .filter { $0.kind.isWorking }.count
            if n > 0, let walk = try? calendar.explainDue(from: old, length: .workingDays(n, .endOfDay)), walk.due == new {
                return (.workingDays(n, .endOfDay), walk)
            }
        }
        let seconds = calendar.businessSeconds(from: old, to: new)
        let minutes = Int((seconds / 60).rounded())
        if minutes > 0, let walk = try? calendar.explainDue(from: old, length: .workingMinutes(minutes)), walk.due == new {
            return (.workingMinutes(minutes), walk)
        }
        return (nil, try? calendar.explainAdding(businessSeconds: seconds, to: old))
    }

    /// The router's reason for a `unit_from: region` rule on a case without a region.
    static let regionMissing = "region is missing, so unit_from: region has no unit"

    func stamp(_ d: Date) -> String { ISO8601.format(d, in: calendar.timeZone) }
}

extension Explainer {
    /// `1 h 40 min`, `7 h`, `40 min`, `30 s`; `0 min` for nothing (the notes an explanation carries).
    public static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        let h = total / 3600, m = (total % 3600) / 60, s = total % 60
        var parts: [String] = []
        if h > 0 { parts.append("\(h) h") }
        if m > 0 { parts.append("\(m) min") }
        if s > 0 { parts.append("\(s) s") }
        return parts.isEmpty ? "0 min" : parts.joined(separator: " ")
    }
}

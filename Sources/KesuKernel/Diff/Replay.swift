import Foundation

/// What a person did to a case, recovered from its events: the inputs a replay feeds to
/// another pack. Everything else (routing, clocks, ladders, violations, points) is what the
/// rules made of these inputs, and is what a replay recomputes.
public enum CaseCommand: Sendable, Equatable {
    case intake(fields: [String: String], actor: String, at: Date)
    case act(transition: String, fields: [String: String], actor: String, at: Date)
    case extend(clock: String, length: ClockLength, reason: String, approver: String, at: Date)

    public var at: Date {
        switch self {
        case let .intake(_, _, at), let .act(_, _, _, at), let .extend(_, _, _, _, at): at
        }
    }

    /// The commands of a stored case, in order. `calendar` is the calendar the case ran under:
    /// an extension records only its new due time, so its length is recovered on that calendar
    /// (whole working days when they fit exactly, else working minutes).
    public static func recover(from events: [Event], calendar: BusinessCalendar) -> [CaseCommand] {
        var out: [CaseCommand] = []
        var state = CaseState()
        for e in events {
            switch e.body {
            case let .intake(_, _, fields):
                out.append(.intake(fields: fields, actor: e.actor, at: e.at))
            case let .transition(id, _, _, fields):
                out.append(.act(transition: id, fields: fields, actor: e.actor, at: e.at))
            case let .clockExtended(run, dueAt, reason, approver, granted):
                let before = state.clocks[run.clock]?.dueAt ?? e.at
                out.append(.extend(clock: run.clock, length: granted ?? Self.length(from: before, to: dueAt, on: calendar),
                                   reason: reason, approver: approver, at: e.at))
            default:
                break
            }
            state.apply(e)
        }
        return out
    }

    static func length(from start: Date, to due: Date, on calendar: BusinessCalendar) -> ClockLength {
        for n in 1...60 {
            for end in [ClockLength.DayEnd.endOfDay, .sameTime] {
                if let d = try? calendar.due(from: start, length: .workingDays(n, end)), d == due { return .workingDays(n, end) }
            }
        }
        return .workingMinutes(Int((calendar.businessSeconds(from: start, to: due) / 60).rounded()))
    }
}

/// What a pack made of one case's commands: the figures `rules diff --replay` compares.
public struct ReplayOutcome: Sendable, Equatable, Codable {
    public var state: String?
    public var handlingUnit: String?
    public var routingRule: String?
    /// Due time of every clock run (`answer#1`), as finally set.
    public var due: [String: Date] = [:]
    /// Ladder steps that escalated, and those that reminded, in order.
    public var escalations: [String] = []
    public var reminders: [String] = []
    public var violations: [String] = []
    /// Points taken off, by subject (`unit:x`, `person:y`).
    public var points: [String: Double] = [:]
    /// Commands the pack refused (`act answer: <why>`): the case could not go the same way.
    public var refused: [String] = []
}

/// Replays stored cases under a pack, on a private in-memory store: the real store is only read.
public struct CaseReplayer: Sendable {
    public let pack: RulePack
    public let scorer: any Scorer

    public init(pack: RulePack, scorer: any Scorer = PointsScorer()) {
        self.pack = pack; self.scorer = scorer
    }

    /// Runs the commands in order, sweeping before each and once more at `horizon`, as the
    /// scheduled sweep would have.
    public func replay(_ commands: [CaseCommand], until horizon: Date) async throws -> ReplayOutcome {
        let store = MemoryStore()
        let engine = try Engine(pack: pack, store: store, scorer: scorer)
        var outcome = ReplayOutcome()
        var number: String?
        for command in commands {
            _ = try await engine.sweep(at: command.at)
            do {
                switch command {
                case let .intake(fields, actor, at):
                    number = try await engine.intake(fields: fields, by: actor, at: at).state.number
                case let .act(transition, fields, actor, at):
                    guard let number else { continue }
                    try await engine.act(number, transition: transition, fields: fields, by: actor, at: at)
                case let .extend(clock, length, reason, approver, at):
                    guard let number else { continue }
                    try await engine.extend(number, clock: clock, by: length, reason: reason, approver: approver, at: at)
                }
            } catch let e as KesuError {
                outcome.refused.append("\(Self.label(command)): \(e.message)")
                if number == nil { return outcome }   // intake refused: there is no case to go on with
            }
        }
        if let last = commands.last?.at, horizon > last { _ = try await engine.sweep(at: horizon) }
        guard let number else { return outcome }
        let (state, events) = try await engine.history(number)
        outcome.state = state.state
        outcome.handlingUnit = state.handlingUnit
        outcome.routingRule = state.routingRule
        for e in events {
            switch e.body {
            case let .clockStarted(run, _, due), let .clockResumed(run, due), let .clockExtended(run, due, _, _, _):
                outcome.due[run.description] = due
            case .escalation: outcome.escalations.append(e.ruleID ?? "?")
            case .reminder: outcome.reminders.append(e.ruleID ?? "?")
            case let .violation(id, _, _, _, _): outcome.violations.append(id)
            case let .deduction(_, subject, points, _): outcome.points["\(subject.kind.rawValue):\(subject.id)", default: 0] += points
            default: break
            }
        }
        return outcome
    }

    static func label(_ c: CaseCommand) -> String {
        switch c {
        case .intake: "intake"
        case let .act(t, _, _, _): "act \(t)"
        case let .extend(clock, _, _, _, _): "extend \(clock)"
        }
    }
}

/// How one case would come out differently under the new pack.
public struct CaseDifference: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable, Comparable {
        case handlingUnit = "handling_unit", due, escalations, reminders, violations, points, state, refused
        public static func < (a: Kind, b: Kind) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
    }
    public struct Change: Sendable, Equatable, Codable {
        public var kind: Kind
        public var what: String
        public var old: String
        public var new: String
    }
    public var caseID: Int64
    public var number: String
    /// The handling unit under the old and the new pack.
    public var oldUnit: String?
    public var newUnit: String?
    public var changes: [Change]
    public var kinds: Set<Kind> { Set(changes.map(\.kind)) }

    public static func compare(_ a: ReplayOutcome, _ b: ReplayOutcome, time: (Date) -> String) -> [Change] {
        var out: [Change] = []
        func list(_ x: [String]) -> String { x.isEmpty ? "none" : x.joined(separator: ", ") }
        if a.handlingUnit != b.handlingUnit || a.routingRule != b.routingRule {
            out.append(Change(kind: .handlingUnit, what: "handling unit",
                              old: "\(a.handlingUnit ?? "none") (\(a.routingRule ?? "-"))", new: "\(b.handlingUnit ?? "none") (\(b.routingRule ?? "-"))"))
        }
        for run in Set(a.due.keys).union(b.due.keys).sorted() where a.due[run] != b.due[run] {
            out.append(Change(kind: .due, what: "due \(run)", old: a.due[run].map(time) ?? "none", new: b.due[run].map(time) ?? "none"))
        }
        if a.escalations != b.escalations { out.append(Change(kind: .escalations, what: "escalations", old: list(a.escalations), new: list(b.escalations))) }
        if a.reminders != b.reminders { out.append(Change(kind: .reminders, what: "reminders", old: list(a.reminders), new: list(b.reminders))) }
        if a.violations != b.violations { out.append(Change(kind: .violations, what: "violations", old: list(a.violations), new: list(b.violations))) }
        for who in Set(a.points.keys).union(b.points.keys).sorted() where abs((a.points[who] ?? 0) - (b.points[who] ?? 0)) > 1e-9 {
            out.append(Change(kind: .points, what: "points \(who)", old: Engine.points(a.points[who] ?? 0), new: Engine.points(b.points[who] ?? 0)))
        }
        if a.state != b.state { out.append(Change(kind: .state, what: "state", old: a.state ?? "none", new: b.state ?? "none")) }
        if a.refused != b.refused { out.append(Change(kind: .refused, what: "refused", old: list(a.refused), new: list(b.refused))) }
        return out
    }

}

/// `rules diff --replay`: every stored case (optionally opened in a window) replayed from its
/// own commands under the old and the new pack, and the cases that would come out differently.
public struct ReplayReport: Sendable, Codable {
    public var examined: Int = 0
    public var differences: [CaseDifference] = []
    public var byKind: [String: Int] {
        var out: [String: Int] = [:]
        for d in differences { for k in d.kinds { out[k.rawValue, default: 0] += 1 } }
        return out
    }
    /// Changed cases counted under every unit involved (old or new handling unit).
    public var byUnit: [String: Int] {
        var out: [String: Int] = [:]
        for d in differences { for u in Set([d.oldUnit, d.newUnit].compactMap { $0 }) { out[u, default: 0] += 1 } }
        return out
    }

    public static func run(
        store: any CaseStore, old: RulePack, new: RulePack, openedFrom: Date? = nil, openedBefore: Date? = nil,
        horizon: Date, time: @escaping (Date) -> String, progress: (Int) -> Void = { _ in }
    ) async throws -> ReplayReport {
        let oldReplay = CaseReplayer(pack: old), newReplay = CaseReplayer(pack: new)
        let calendar = try BusinessCalendar(old.calendar)
        var report = ReplayReport()
        var offset = 0
        let page = 500
        while true {
            let cases = try await store.list(CaseQuery(openedFrom: openedFrom, openedBefore: openedBefore, limit: page, offset: offset))
            if cases.isEmpty { break }
            offset += cases.count
            for c in cases {
                let commands = CaseCommand.recover(from: try await store.events(caseID: c.id), calendar: calendar)
                let a = try await oldReplay.replay(commands, until: horizon)
                let b = try await newReplay.replay(commands, until: horizon)
                report.examined += 1
                let changes = CaseDifference.compare(a, b, time: time)
                if !changes.isEmpty {
                    report.differences.append(CaseDifference(caseID: c.id, number: c.number, oldUnit: a.handlingUnit,
                                                             newUnit: b.handlingUnit, changes: changes))
                }
                progress(report.examined)
            }
        }
        return report
    }
}

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
    /// Built once: every replay plans with it.
    let planner: Planner?

    public init(pack: RulePack, scorer: any Scorer = PointsScorer()) {
        self.pack = pack; self.scorer = scorer
        planner = try? Planner(pack: pack, scorer: scorer)
    }

    /// Runs the commands in order, sweeping before each and once more at `horizon`, as the
    /// scheduled sweep would have.
    public func replay(_ commands: [CaseCommand], until horizon: Date) async throws -> ReplayOutcome {
        let store = MemoryStore()
        let engine = try planner.map { Engine(planner: $0, store: store) } ?? Engine(pack: pack, store: store, scorer: scorer)
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

/// Which cases `rules diff --replay` replays: every case in the window, or only those the change can
/// reach (`ReplayReach`); both give the same differences.
public enum ReplayScope: String, Sendable, Codable { case all, affected }

/// How far a replay is: `done` of `total`. With scope `affected` the run first screens the window's
/// cases (`total` = cases in the window), then replays those selected (`total` = cases selected),
/// so `done` starts again from 0 once, when the replay begins.
public struct ReplayProgress: Sendable, Equatable {
    public var done: Int
    public var total: Int
    public init(done: Int, total: Int) { self.done = done; self.total = total }
}

/// `rules diff --replay`: the stored cases (optionally those opened in a window) replayed from their
/// own commands under the old and the new pack, and the cases that would come out differently.
public struct ReplayReport: Sendable, Codable {
    /// Cases in the window.
    public var considered: Int = 0
    /// Cases replayed under both packs (all considered, or those the change can reach).
    public var examined: Int = 0
    public var scope: ReplayScope = .all
    /// Why these cases were replayed, one English line ("routing changed only: 312 of 100000 cases route differently").
    public var selectionReason: String = ""
    public var differences: [CaseDifference] = []
    public init() {}

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

    /// Replays the cases opened in `[openedFrom, openedBefore)` (all when nil), in listing order (newest
    /// first), on `workers` concurrent tasks; the differences come in that order whatever `workers` is.
    /// Checks for cancellation between cases (throws `CancellationError`); reports progress at least
    /// every 1% or 200 cases.
    public static func run(
        store: any CaseStore, old: RulePack, new: RulePack, openedFrom: Date? = nil, openedBefore: Date? = nil,
        horizon: Date, time: @escaping (Date) -> String, scope: ReplayScope = .all,
        workers: Int = ProcessInfo.processInfo.activeProcessorCount,
        progress: @escaping @Sendable (ReplayProgress) -> Void = { _ in }
    ) async throws -> ReplayReport {
        let workers = max(1, workers)
        var report = ReplayReport()
        report.scope = scope
        let reach = scope == .affected ? try ReplayReach(old: old, new: new) : nil
        var window: [(id: Int64, number: String)] = []
        var chosen: [(id: Int64, number: String)] = []
        if let reach, reach.everything.isEmpty, !reach.isEmpty {
            // Each page of the listing is screened while the next one is read.
            let counter = ProgressCounter(total: try await store.count(CaseQuery(openedFrom: openedFrom, openedBefore: openedBefore)),
                                          report: progress)
            window = try await listing(store, openedFrom: openedFrom, openedBefore: openedBefore) { page in
                chosen += try await screen(page, reach: reach, store: store, workers: workers, counter: counter)
            }
            let only = reach.routing && reach.clocks.isEmpty && reach.transitions.isEmpty
            report.selectionReason = only
                ? "routing changed only: \(chosen.count) of \(window.count) cases route differently"
                : "\(reach.summary) changed: \(chosen.count) of \(window.count) cases \(reach.routing ? "route differently or " : "")take a transition that reaches \(reach.clocks.isEmpty && !reach.outcomes.isEmpty ? "a changed scoring rule" : "a changed clock or scoring rule")"
        } else {
            window = try await listing(store, openedFrom: openedFrom, openedBefore: openedBefore)
            chosen = window
            if let reach, reach.isEmpty {
                chosen = []
                report.selectionReason = "nothing in effect changed: none of \(window.count) cases can differ"
            } else if let reach {
                report.selectionReason = "\(reach.summary) changed: every case replayed (\(window.count))"
            } else {
                report.selectionReason = "every case replayed (\(window.count))"
            }
        }
        report.considered = window.count
        report.examined = chosen.count
        report.differences = try await replay(chosen, store: store, old: old, new: new, horizon: horizon, time: time,
                                              workers: workers, progress: progress)
        return report
    }

    /// Every case in the window, newest first: ids and numbers only, 5,000 a page. `each` takes every page
    /// while the next one is read.
    static func listing(
        _ store: any CaseStore, openedFrom: Date?, openedBefore: Date?,
        each: ([(id: Int64, number: String)]) async throws -> Void = { _ in }
    ) async throws -> [(id: Int64, number: String)] {
        var out: [(id: Int64, number: String)] = []
        let size = 5_000
        var current = try await page(store, openedFrom, openedBefore, offset: 0, size: size)
        while true {
            try Task.checkCancellation()
            let more = current.count == size, offset = out.count + current.count
            async let next = more ? page(store, openedFrom, openedBefore, offset: offset, size: size) : []
            try await each(current)
            out += current
            if !more { return out }
            current = try await next
        }
    }

    static func page(_ store: any CaseStore, _ from: Date?, _ before: Date?, offset: Int, size: Int) async throws -> [(id: Int64, number: String)] {
        try await store.list(CaseQuery(openedFrom: from, openedBefore: before, limit: size, offset: offset)).map { ($0.id, $0.number) }
    }

    /// Runs `work` on chunks `0..<count`, at most `workers` at a time; the results in chunk order.
    static func concurrently<T: Sendable>(
        _ count: Int, workers: Int, _ work: @escaping @Sendable (Int) async throws -> T
    ) async throws -> [T] {
        try await withThrowingTaskGroup(of: (Int, T).self) { group in
            var results = [T?](repeating: nil, count: count)
            var next = 0
            func add() {
                let i = next
                next += 1
                group.addTask { (i, try await work(i)) }
            }
            while next < min(workers, count) { add() }
            while let (i, r) = try await group.next() {
                results[i] = r
                try Task.checkCancellation()
                if next < count { add() }
            }
            return results.map { $0! }
        }
    }

    /// The cases of `window` the reach can touch, in order. Reads only the commands' events, 500 cases at a
    /// time, on `workers` tasks (reading and screening overlap).
    static func screen(
        _ window: [(id: Int64, number: String)], reach: ReplayReach, store: any CaseStore, workers: Int, counter: ProgressCounter
    ) async throws -> [(id: Int64, number: String)] {
        let ids = window.map(\.id), chunk = 500
        // A routing change needs the intakes and transitions; a clock, the extensions too.
        let types: Set<String> = reach.clocks.isEmpty ? ["intake", "transition"] : ReplayReach.commandTypes
        let hits = try await concurrently((ids.count + chunk - 1) / chunk, workers: workers) { k in
            let part = Array(ids[(k * chunk)..<min((k + 1) * chunk, ids.count)])
            var byCase: [Int64: [Event]] = [:]
            for e in try await store.events(caseIDs: part, types: types) { byCase[e.caseID, default: []].append(e) }
            var flags: [Bool] = []
            for id in part {
                try Task.checkCancellation()
                flags.append(reach.reaches(byCase[id] ?? []))
                counter.add()
            }
            return flags
        }
        return zip(window, hits.flatMap { $0 }).filter(\.1).map(\.0)
    }

    /// Replays the chosen cases under both packs on `workers` tasks, each reading and replaying a few cases at a time.
    static func replay(
        _ chosen: [(id: Int64, number: String)], store: any CaseStore, old: RulePack, new: RulePack, horizon: Date,
        time: (Date) -> String, workers: Int, progress: @escaping @Sendable (ReplayProgress) -> Void
    ) async throws -> [CaseDifference] {
        let oldReplay = CaseReplayer(pack: old), newReplay = CaseReplayer(pack: new)
        let calendar = try BusinessCalendar(old.calendar)
        let ids = chosen.map(\.id)
        let chunk = max(1, min(25, ids.count / (workers * 8)))
        let counter = ProgressCounter(total: ids.count, report: progress)
        // Only the pairs that differ come back: a full replay keeps no outcome of a case that did not change.
        let differing = try await concurrently((ids.count + chunk - 1) / chunk, workers: workers) { k in
            let range = (k * chunk)..<min((k + 1) * chunk, ids.count)
            var byCase: [Int64: [Event]] = [:]
            for e in try await store.events(caseIDs: Array(ids[range])) { byCase[e.caseID, default: []].append(e) }
            var out: [(Int, ReplayOutcome, ReplayOutcome)] = []
            for i in range {
                try Task.checkCancellation()
                let commands = CaseCommand.recover(from: byCase[ids[i]] ?? [], calendar: calendar)
                let a = try await oldReplay.replay(commands, until: horizon)
                let b = try await newReplay.replay(commands, until: horizon)
                if a != b { out.append((i, a, b)) }
                counter.add()
            }
            return out
        }
        var out: [CaseDifference] = []
        for (i, a, b) in differing.flatMap({ $0 }) {
            let changes = CaseDifference.compare(a, b, time: time)
            if !changes.isEmpty {
                out.append(CaseDifference(caseID: chosen[i].id, number: chosen[i].number, oldUnit: a.handlingUnit, newUnit: b.handlingUnit, changes: changes))
            }
        }
        return out
    }
}

/// Counts cases done across tasks and reports every 1% of the total, at least every 200 cases, and at the end.
final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var done = 0, reported = 0
    let total: Int, every: Int
    let report: @Sendable (ReplayProgress) -> Void

    init(total: Int, report: @escaping @Sendable (ReplayProgress) -> Void) {
        self.total = total; self.report = report
        every = max(1, min(200, total / 100))
        report(ReplayProgress(done: 0, total: total))
    }

    func add() {
        lock.lock()
        defer { lock.unlock() }
        done += 1
        if done - reported >= every || done == total {
            reported = done
            report(ReplayProgress(done: done, total: total))
        }
    }
}

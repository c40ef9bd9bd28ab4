import Foundation

// Warnings about a pack that loads and runs but cannot do what it says (docs/rule-packs.md, "Warnings"):
// routes that can never match, states nothing reaches, clocks that only closing the case stops, ladder steps
// out of order or after the case must be closed, and (separately, as it depends on the date) a calendar whose
// holidays run out within a year. Every check here is conservative: it warns only when the rules make the
// problem certain, whatever the fields, the times and the people do.

extension RulePack {
    /// The lint warnings of a pack without errors; `validate()` appends them.
    func lint() -> [Diagnostic] {
        var lint = PackLint(pack: self)
        lint.run()
        return lint.diagnostics
    }

    /// A warning, at the `calendar` section, when the calendar's holidays and adjusted working days stop short of
    /// the next 12 months from `now` (in the calendar's time zone), or when it lists no holiday at all. Not part of
    /// `validate()`: the answer depends on the current time.
    public func calendarCoverage(now: Date) -> [Diagnostic] {
        let zone = TimeZone(identifier: calendar.timeZone) ?? TimeZone(identifier: "UTC")!
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = zone
        guard let horizon = cal.date(byAdding: .month, value: 12, to: now) else { return [] }
        let c = cal.dateComponents([.year, .month, .day], from: horizon)
        guard let y = c.year, let m = c.month, let d = c.day else { return [] }
        let end = LocalDate(year: y, month: m, day: d)
        let notice = "(the State Council's notice is usually published in November)"
        guard !calendar.holidays.isEmpty else {
            return [.warning(calendar.location, "calendar has no holidays; the next 12 months run to \(end) — add the holidays "
                + "and 调休 working days up to \(end.year) (include a calendar file such as ../calendars/cn-2024-2026.yaml) "
                + "before deadlines are counted on it")]
        }
        let today = cal.dateComponents([.year], from: now).year ?? end.year
        let years = Array(today...end.year)
        // Years before the calendar's first are history it was never meant to count; the concern is running out.
        let first = calendar.coveredYears.union(calendar.provisionalYears).min() ?? today
        let uncovered = years.filter { $0 >= first && calendar.coverage(ofYear: $0) == .uncovered }
        let provisional = years.filter { calendar.coverage(ofYear: $0) == .provisional }
        func names(_ ys: [Int]) -> String { ys.count == 1 ? "\(ys[0])'s" : "\(ys.first!)–\(ys.last!)'s" }
        var out: [Diagnostic] = []
        if !uncovered.isEmpty {
            let last = calendar.coveredYears.union(calendar.provisionalYears).max().map(String.init) ?? "none"
            out.append(.warning(calendar.location, "calendar has holidays only up to \(last); the next 12 months run to \(end) — add "
                + "\(names(uncovered)) holidays and 调休 working days \(notice) before then: `kesu calendar import NOTICE.txt`, "
                + "or `kesu calendar draft YEAR` for a provisional calendar meanwhile"))
        }
        if !provisional.isEmpty {
            out.append(.warning(calendar.location, "\(names(provisional)) holidays come from a draft (provisional: statutory days only, "
                + "no 调休 working days); due times counted on them are flagged 暂定 — import the State Council's notice "
                + "with `kesu calendar import NOTICE.txt` once it is published and include that file instead of the draft"))
        }
        return out
    }
}

private struct PackLint {
    let pack: RulePack
    var diagnostics: [Diagnostic] = []
    /// Business minutes in one working day.
    let dayMinutes: Int

    init(pack: RulePack) {
        self.pack = pack
        dayMinutes = pack.calendar.businessHours.reduce(0) { $0 + max(0, $1.end - $1.start) }
    }

    mutating func warning(_ location: SourceLocation, _ message: String) { diagnostics.append(.warning(location, message)) }

    static func whereIs(_ other: SourceLocation, from here: SourceLocation) -> String {
        other.file == here.file ? "line \(other.line)" : "\(other.file):\(other.line)"
    }

    mutating func run() {
        checkRoutes()
        checkReachableStates()
        checkClockStops()
        checkLadders()
    }

    // MARK: 1. routes that can never match

    /// The values a field can hold on a case that meets some conditions: a finite set (nil = missing), or every
    /// string but some (free-text fields), with or without "missing".
    enum Values {
        case finite(Set<String?>)
        case allBut(Set<String>, missingToo: Bool)

        var isEmpty: Bool { if case let .finite(s) = self { s.isEmpty } else { false } }

        func narrowed(by test: FieldCondition.Test, field: String) -> Values {
            switch self {
            case let .finite(values):
                let probe = FieldCondition(field: field, test: test)
                return .finite(values.filter { v in probe.holds(on: v.map { [field: $0] } ?? [:]) })
            case let .allBut(excluded, missingToo):
                switch test {
                case let .equals(v): return .finite(excluded.contains(v) ? [] : [v])
                case let .oneOf(vs): return .finite(Set(vs.filter { !excluded.contains($0) }.map(Optional.some)))
                case let .notOneOf(vs): return .allBut(excluded.union(vs), missingToo: missingToo)
                case let .missing(m): return m ? .finite(missingToo ? [nil] : []) : .allBut(excluded, missingToo: false)
                }
            }
        }

        /// Whether every value left meets `test`.
        func allMeet(_ test: FieldCondition.Test, field: String) -> Bool {
            switch self {
            case let .finite(values):
                let probe = FieldCondition(field: field, test: test)
                return values.allSatisfy { v in probe.holds(on: v.map { [field: $0] } ?? [:]) }
            case let .allBut(excluded, missingToo):
                switch test {
                case .equals, .oneOf: return false
                case let .notOneOf(vs): return Set(vs).isSubset(of: excluded)
                case let .missing(m): return m ? false : !missingToo
                }
            }
        }
    }

    /// Fields intake requires are never missing when the routing table runs (fields are only ever added).
    var alwaysPresent: Set<String> { Set(pack.procedure.intake.requires) }

    func values(of field: String, under conditions: [FieldCondition]) -> Values {
        var v: Values
        if let allowed = pack.allowedValues(of: field) {
            var set = Set(allowed.map(Optional.some))
            if !alwaysPresent.contains(field) { set.insert(nil) }
            v = .finite(set)
        } else {
            v = .allBut([], missingToo: !alwaysPresent.contains(field))
        }
        for c in conditions where c.field == field { v = v.narrowed(by: c.test, field: field) }
        return v
    }

    /// Whether `earlier` matches every case `later` matches (so `later` is never chosen).
    func covers(_ earlier: RouteRule, _ later: RouteRule) -> Bool {
        for c in earlier.when where !values(of: c.field, under: later.when).allMeet(c.test, field: c.field) {
            return false
        }
        switch earlier.target {
        case .unit: return true
        case .regionUnit:
            // Wins only if `later`'s conditions guarantee a region that names a unit.
            guard case let .finite(regions) = values(of: "region", under: later.when) else { return false }
            return regions.allSatisfy { r in r.flatMap { id in pack.regions.first { $0.id == id }?.unit } != nil }
        }
    }

    mutating func checkRoutes() {
        for (j, rule) in pack.routing.enumerated() {
            if let field = Set(rule.when.map(\.field)).sorted().first(where: { values(of: $0, under: rule.when).isEmpty }) {
                warning(rule.location, "route '\(rule.id)' can never match: no value of '\(field)' meets all its conditions "
                    + "on '\(field)'; correct its `when`")
                continue
            }
            guard let earlier = pack.routing[..<j].first(where: { covers($0, rule) }) else { continue }
            warning(rule.location, "route '\(rule.id)' can never match: route '\(earlier.id)' (\(Self.whereIs(earlier.location, from: rule.location))) "
                + "comes first and matches every case \(rule.id) would; move \(rule.id) above it or narrow \(earlier.id)")
        }
    }

    // MARK: 2. states nothing reaches

    func isFinal(_ state: String) -> Bool { pack.state(state)?.isFinal == true }

    /// The states a case can be in after intake (transition conditions ignored, so this is an upper bound).
    var reachableStates: Set<String> {
        var seen: Set<String> = []
        var queue = [pack.procedure.initialState]
        while let s = queue.popLast() {
            guard seen.insert(s).inserted else { continue }
            for t in pack.procedure.transitions where t.from.contains(s) { queue += t.to.map(\.state) }
        }
        return seen
    }

    mutating func checkReachableStates() {
        let reached = reachableStates
        for s in pack.procedure.states where !reached.contains(s.id) {
            warning(s.location, "state '\(s.id)' is never reached: no transition leads to it from intake; add a transition or remove the state")
        }
    }

    // MARK: 3. clocks only the close stops

    /// The states a step (a transition id, or `intake`) can leave the case in.
    func targets(of step: String) -> [String] {
        if step == IntakeDef.transitionID { return [pack.procedure.initialState] }
        return pack.transition(step)?.to.map(\.state) ?? []
    }

    /// Transitions that can be taken, while the case is open, after the case reaches one of `states`
    /// (conditions ignored: an upper bound).
    func transitionsAfter(_ states: [String]) -> Set<String> {
        var seen: Set<String> = []
        var taken: Set<String> = []
        var queue = states.filter { !isFinal($0) }
        while let s = queue.popLast() {
            guard seen.insert(s).inserted else { continue }
            for t in pack.procedure.transitions where t.from.contains(s) {
                taken.insert(t.id)
                queue += t.to.map(\.state).filter { !isFinal($0) }
            }
        }
        return taken
    }

    mutating func checkClockStops() {
        for clock in pack.clocks {
            var seen: Set<String> = []
            for start in clock.start where seen.insert(start).inserted {
                let after = targets(of: start)
                guard !after.isEmpty else { continue }
                if after.allSatisfy(isFinal) {
                    warning(clock.location, "clock '\(clock.id)' starts on '\(start)', which closes the case, so it stops the moment "
                        + "it starts; take '\(start)' out of its `start:`")
                    continue
                }
                let next = transitionsAfter(after)
                if !clock.stop.contains(where: next.contains) {
                    warning(clock.location, "clock '\(clock.id)' started by '\(start)' is stopped only by closing the case: none of its "
                        + "stops (\(clock.stop.joined(separator: ", "))) can be taken after '\(start)'; list under `stop:` the "
                        + "transition that ends what it times, or start it later")
                }
            }
            for pause in Set(clock.pause).sorted() {
                let after = targets(of: pause)
                guard !after.isEmpty, !after.allSatisfy(isFinal) else { continue }
                let next = transitionsAfter(after)
                if !(clock.resume + clock.stop).contains(where: next.contains) {
                    warning(clock.location, "clock '\(clock.id)' paused by '\(pause)' stays paused until the case closes: none of its "
                        + "resume or stop transitions can be taken after '\(pause)', so it can never be late again; list under "
                        + "`resume:` the transition that ends the pause")
                }
            }
        }
    }

    // MARK: 4. ladder steps out of order, or after the case must be closed

    /// A clock's shortest and longest length in business minutes, from any start (docs: deadline arithmetic):
    /// `end_of_day` counts the rest of the start day too, so it lies between N and N+1 working days.
    func minMinutes(_ length: ClockLength) -> Double {
        switch length {
        case let .workingDays(n, _): Double(n * dayMinutes)
        case let .workingMinutes(m): Double(m)
        }
    }

    func maxMinutes(_ length: ClockLength) -> Double {
        switch length {
        case let .workingDays(n, .endOfDay): Double((n + 1) * dayMinutes)
        case let .workingDays(n, .sameTime): Double(n * dayMinutes)
        case let .workingMinutes(m): Double(m)
        }
    }

    /// When a step fires after its clock starts, as `a × length + b` business minutes.
    static func offset(_ at: LadderStep.At) -> (a: Double, b: Double) {
        switch at {
        case let .share(s): (s, 0)
        case let .afterDue(m): (1, Double(m))
        }
    }

    static func describe(_ at: LadderStep.At) -> String {
        switch at {
        case let .share(s) where s == 1: "at the due time"
        case let .share(s): "at share \(s)"
        case let .afterDue(m): "\(Self.minutes(Double(m))) after due"
        }
    }

    static func minutes(_ m: Double) -> String {
        let whole = Int(m.rounded())
        return whole % 60 == 0 ? "\(whole / 60) working hour(s)" : "\(whole) working minute(s)"
    }

    /// A clock that times the whole case: started only at intake, for every case, never paused, and stopped only by
    /// transitions that close the case. The latest its run can end, extensions included, in business minutes.
    func caseDeadline(_ clock: ClockDef) -> Double? {
        guard !clock.start.isEmpty, clock.start.allSatisfy({ $0 == IntakeDef.transitionID }), clock.when.isEmpty,
              clock.pause.isEmpty, !clock.stop.isEmpty,
              clock.stop.allSatisfy({ pack.transition($0).map { t in !t.to.isEmpty && t.to.allSatisfy { isFinal($0.state) } } ?? false })
        else { return nil }
        var latest = maxMinutes(clock.length)
        if let ext = clock.extensionRule {
            // An extension counts from the due time; a working-days one may add the rest of that day too.
            let each: Double = switch ext.maxLength {
            case let .workingDays(n, _): Double((n + 1) * dayMinutes)
            case let .workingMinutes(m): Double(m)
            }
            latest += Double(max(ext.maxCount, 0)) * each
        }
        return latest
    }

    mutating func checkLadders() {
        for ladder in pack.ladders {
            let users = pack.clocks.filter { $0.ladder == ladder.id }
            // The same run length for every step; the shortest run any using clock can have (longer runs only
            // make a step with a smaller share of the length fire earlier still).
            let shortest = max(users.map { minMinutes($0.length) }.min() ?? 1, 1)
            for (j, step) in ladder.steps.enumerated() {
                let (aj, bj) = Self.offset(step.at)
                for (i, earlier) in ladder.steps[..<j].enumerated() {
                    let (ai, bi) = Self.offset(earlier.at)
                    let da = aj - ai, db = bj - bi
                    if da <= 0, da * shortest + db < 0 {
                        warning(step.location, "ladder '\(ladder.id)': step \(j + 1) (\(Self.describe(step.at))) always fires before "
                            + "step \(i + 1) (\(Self.describe(earlier.at)), \(Self.whereIs(earlier.location, from: step.location))), "
                            + "which is listed above it; list the steps in the order they fire")
                        break
                    }
                }
            }
        }

        let deadlines = pack.clocks.compactMap { c in caseDeadline(c).map { (clock: c, latest: $0) } }
        for clock in pack.clocks {
            guard let ladder = clock.ladder.flatMap(pack.ladder) else { continue }
            let others = deadlines.filter { $0.clock.id != clock.id }
            guard let deadline = others.min(by: { $0.latest < $1.latest }) else { continue }
            for (n, step) in ladder.steps.enumerated() {
                let (a, b) = Self.offset(step.at)
                let earliest = a * minMinutes(clock.length) + b
                guard earliest > deadline.latest else { continue }
                warning(step.location, "ladder '\(ladder.id)': step \(n + 1) (\(Self.describe(step.at)) of clock '\(clock.id)') fires "
                    + "\(Self.minutes(earliest)) after intake at the earliest, but clock '\(deadline.clock.id)' "
                    + "(\(Self.whereIs(deadline.clock.location, from: step.location))) has the case closed within "
                    + "\(Self.minutes(deadline.latest)), extensions included: the step can only fire on a case already overdue; "
                    + "fire it earlier or drop it")
            }
        }
    }
}

import Foundation
import KesuKernel

/// Renders explanations as lines for people: identifiers in English, labels (holiday names,
/// unit and clock names) as the pack and calendar give them, usually Chinese.
public struct ExplanationText: Sendable {
    public let pack: RulePack
    public let zone: TimeZone

    /// The pack's calendar, for how surely each due time is known (nil only for a calendar that does not load,
    /// which a validated pack never has: then every year reads as official).
    let calendar: BusinessCalendar?

    public init(pack: RulePack, zone: TimeZone) {
        self.pack = pack; self.zone = zone
        self.calendar = try? BusinessCalendar(pack.calendar)
    }

    /// ` [file:line]` where a rule was written — with `extends:`, the parent's file or the child's.
    public func defined(_ location: SourceLocation?) -> String {
        guard let l = location, l.line > 0 else { return "" }
        return " [\(l.file):\(l.line)]"
    }

    func defined(route id: String) -> String { defined(pack.routing.first { $0.id == id }?.location) }

    public static let weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    // MARK: Whole explanations

    public func lines(_ x: CaseExplanation) -> [String] {
        var out: [String] = []
        if let number = x.caseNumber {
            out.append("Case \(number) — explained at \(stamp(x.at))")
        } else {
            out.append("Intake at \(stamp(x.at)) — what the rules decide for these fields")
        }
        for n in x.notes { out.append("note: \(n)") }
        if let v = x.currentPackVersion {
            out.append("Rules: the case runs under pack version \(x.packVersion.prefix(12)); the pack in force is \(v.prefix(12))")
        }
        out.append("")
        out += routingLines(x.routing, stored: x.caseNumber != nil)
        if let now = x.currentRouting, let v = x.currentPackVersion {
            let same = now.matched?.id == x.routing.matched?.id && now.unit == x.routing.unit
            out.append("  under the pack in force (\(v.prefix(12))): \(now.matched.map { "\($0.id) → \(unitLabel(now.unit))" } ?? "no rule matches")"
                       + (same ? " (the same)" : " — it would route the case differently"))
        }
        out.append("")
        if x.clocks.isEmpty {
            out.append(x.caseNumber == nil ? "Clocks: none starts at intake" : "Clocks: none has run")
        } else {
            out.append(x.caseNumber == nil ? "Clocks started at intake:" : "Clocks:")
            for c in x.clocks { out += clockLines(c, stored: x.caseNumber != nil).map { "  " + $0 } }
        }
        if !x.notStarted.isEmpty {
            out.append("")
            out.append("Clocks not started at intake:")
            for n in x.notStarted { out.append("  \(n.clock) \(n.name): \(n.reasons.joined(separator: "; "))") }
        }
        return out
    }

    public func routingLines(_ r: RoutingExplanation, stored: Bool = false) -> [String] {
        var out: [String] = []
        if let seq = r.basisSeq, let at = r.basisAt {
            out.append("Routing (re-run on the fields as they stood when the case was routed: event #\(seq), \(stamp(at))):")
        } else if stored {
            out.append("Routing (not routed by rule yet; what the table decides on the fields now):")
        } else {
            out.append("Routing:")
        }
        let tested = routingFieldIDs
        out.append("  fields: " + (tested.isEmpty ? "(none the table tests)" : tested.map { "\($0)=\(r.fields[$0] ?? "(none)")" }.joined(separator: " ")))
        for s in r.skipped {
            out.append("  \(s.id)\(defined(route: s.id)): skipped — \(s.reasons.isEmpty ? "no reason recorded" : s.reasons.joined(separator: "; "))")
        }
        if let m = r.matched {
            out.append("  \(m.id)\(defined(route: m.id)): matched\(m.name.isEmpty ? "" : " — \(m.name)"); handling unit \(unitLabel(r.unit))")
        } else {
            out.append("  no rule matches: the table needs a fallback")
        }
        if let rule = r.recordedRule {
            let recorded = "\(rule) → \(unitLabel(r.recordedUnit))"
            if r.differs {
                let why = r.packChanged
                    ? "the pack changed since (recorded under version \(r.recordedPackVersion.map { String($0.prefix(12)) } ?? "?"), now \(pack.version.prefix(12)))"
                    : "under the same pack version"
                out.append("  recorded: \(recorded) — DIFFERS from what the current pack decides: \(why)")
            } else {
                out.append("  recorded: \(recorded) (the same as the current pack decides)")
            }
        }
        if let m = r.manualUnit {
            out.append("  handling unit now: \(unitLabel(m)), set by hand (transfer) after routing")
        }
        return out
    }

    /// `stored`: a stored case's run, ending with how it stopped (or that it runs); false for intake fields.
    public func clockLines(_ c: ClockRunExplanation, stored: Bool = true) -> [String] {
        var out = ["\(c.run.clock) \(c.name)\(defined(pack.clock(c.run.clock)?.location)) #\(c.run.run) — started \(stamp(c.startedAt)); \(c.length.map(describe) ?? "length unknown under the current pack")"]
        if let walk = c.initial {
            out += dayLines(walk, startLabel: "start day").map { "  " + $0 }
            out.append("  due \(stamp(walk.due))\(CoverageText.mark(coverage(walk)))")
        } else {
            out.append("  due \(stamp(c.recordedDue)) (recorded)\(CoverageText.mark(coverage(from: c.startedAt, to: c.recordedDue)))")
        }
        for change in c.changes {
            switch change {
            case let .pause(p):
                out.append("  paused \(stamp(p.pausedAt)): \(Self.duration(p.remaining)) of business time left, kept")
                if let r = p.resumedAt {
                    out.append("  resumed \(stamp(r)): \(Self.duration(p.remaining)) of business time from then")
                    if let walk = p.resume { out += dayLines(walk, startLabel: "resumed").map { "    " + $0 } }
                    let due = p.dueAt ?? p.resume?.due ?? r
                    out.append("    due \(stamp(due))\(CoverageText.mark(p.resume.map(coverage) ?? coverage(from: r, to: due)))")
                } else {
                    out.append("  (still paused)")
                }
            case let .extended(x):
                let by = pack.person(x.approver).map { "\(x.approver) \($0.name)" } ?? x.approver
                let len = x.length.map { ": +\(describe($0))" } ?? ""
                out.append("  extended \(stamp(x.at)) by \(by), reason: \(x.reason); due \(stamp(x.oldDue)) → \(stamp(x.newDue))\(CoverageText.mark(x.walk.map(coverage) ?? coverage(from: x.oldDue, to: x.newDue)))\(len)")
                if let walk = x.walk { out += dayLines(walk, startLabel: "old due day").map { "    " + $0 } }
            }
        }
        let flags = calendarLines(c)
        guard stored else { return out + flags + c.notes.map { "  note: \($0)" } }
        let final = c.changes.isEmpty ? "" : "final due \(stamp(c.dueAt))\(CoverageText.mark(coverage(from: c.startedAt, to: c.dueAt))); "
        switch c.status {
        case .stopped:
            let when = c.stoppedAt.map(stamp) ?? "?"
            if c.late == true {
                let over = c.stoppedAt.map { " (\(Self.duration(max(0, $0.timeIntervalSince(c.dueAt)))) after the due time)" } ?? ""
                out.append("  \(final)stopped \(when) — LATE\(over)")
            } else {
                out.append("  \(final)stopped \(when) — on time")
            }
        case .running:
            out.append("  \(final)running\(c.overdue ? " — OVERDUE" : "")")
        case .paused:
            out.append("  paused; due \(stamp(c.dueAt))\(CoverageText.mark(coverage(from: c.startedAt, to: c.dueAt))) before the pause")
        }
        out += flags
        for n in c.notes { out.append("  note: \(n)") }
        return out
    }

    // MARK: Calendar coverage

    /// The weakest calendar among the years a walk passes through.
    public func coverage(_ walk: DueExplanation) -> YearCoverage { calendar?.coverage(of: walk) ?? .official }

    /// The weakest calendar among the years from `start` to `end`.
    public func coverage(from start: Date, to end: Date) -> YearCoverage { calendar?.coverage(from: start, to: end) ?? .official }

    /// One line for each year a clock's due time was counted through that is not officially known: what the flag means.
    func calendarLines(_ c: ClockRunExplanation) -> [String] {
        calendarYears(c).compactMap { y in CoverageText.meaning(y.coverage, year: y.year).map { "  calendar: \($0)" } }
    }

    /// Every year a clock's walks (start, resumes, extensions) pass through, from its start to its due time, with its coverage.
    public func calendarYears(_ c: ClockRunExplanation) -> [(year: Int, coverage: YearCoverage)] {
        var walks = [c.initial].compactMap { $0 }
        for change in c.changes {
            switch change {
            case let .pause(p): if let w = p.resume { walks.append(w) }
            case let .extended(x): if let w = x.walk { walks.append(w) }
            }
        }
        guard let calendar else { return [] }
        let from = calendar.localDate(of: min(c.startedAt, c.dueAt)).year, to = calendar.localDate(of: max(c.startedAt, c.dueAt)).year
        let years = Set(walks.flatMap(calendar.years(of:))).union(from...to)
        return years.sorted().map { ($0, calendar.coverage(ofYear: $0)) }
    }

    // MARK: Days

    public func dayLines(_ walk: DueExplanation, startLabel: String = "start day") -> [String] {
        walk.days.map { dayLine($0, of: walk, startLabel: startLabel) }
    }

    /// One day, e.g. `2026-10-01 Thursday: holiday 国庆节 (national_day)`.
    public func dayLine(_ d: ExplainedDay, of walk: DueExplanation, startLabel: String = "start day") -> String {
        let head = "\(d.date) \(Self.weekdays[(d.weekday - 1 + 7) % 7]): "
        let kind = kindText(d.kind)
        let dueNote = d.isDueDay ? " — due \(clock(walk.due))" : ""
        var total: Int?
        if case let .clock(.workingDays(n, _)) = walk.length { total = n }
        switch d.role {
        case .received:
            return head + "\(kind) — received \(d.startedAt.map(clock) ?? "?"), counting starts at the next opening \(stamp(walk.countFrom))"
        case .start:
            var text = head + "\(kind); \(startLabel), not counted"
            if startLabel == "start day", let s = d.startedAt {
                let moved = walk.countFrom != walk.start && walk.days.first?.role != .received
                    ? "received \(clock(walk.start)), counting from \(clock(s))" : "started \(clock(s))"
                text += " — \(moved)"
                if let left = d.leftThatDay {
                    text += left > 0 ? ", \(Self.duration(left)) of business time left that day" : ", no business time left that day"
                }
            } else if startLabel == "old due day" {
                text += " — was due \(clock(walk.start))"
            }
            return text
        case .skipped:
            return head + kind
        case .counted:
            if let total, let k = d.ordinal {
                return head + "\(kind), counted (\(k) of \(total))" + dueNote
            }
            var text = head + kind
            if let s = d.startedAt {
                let lead = startLabel == "resumed" ? "resumed" : "started"
                let received = s != walk.start && walk.days.first?.role != .received ? " (received \(clock(walk.start)))" : ""
                text += ", \(lead) \(clock(s))\(received)"
                if let left = d.leftThatDay { text += ", \(Self.duration(left)) left that day" }
            }
            let used = d.spans.map { "\(clock($0.from))–\(clock($0.until))" }.joined(separator: ", ")
            text += used.isEmpty ? ", no business time used" : ", counted \(used) (\(Self.duration(d.businessSeconds ?? 0)))"
            return text + dueNote
        }
    }

    /// `working day`, `weekend`, `holiday 国庆节 (national_day)`, `调休 working day (国庆节)`.
    public func kindText(_ kind: DayKind) -> String {
        switch kind {
        case .working: "working day"
        case .weekend: "weekend"
        case let .holiday(name, label): label.isEmpty ? "holiday \(name)" : "holiday \(label) (\(name))"
        case let .adjustedWorkday(name, label): "调休 working day (\(label.isEmpty ? name : label))"
        }
    }

    /// `5 working days, due at end of day (18:00)`, `240 working minutes`.
    public func describe(_ length: ClockLength) -> String {
        switch length {
        case let .workingDays(n, .endOfDay):
            let closing = pack.calendar.businessHours.last.map { String(format: "%02d:%02d", $0.end / 60, $0.end % 60) } ?? "closing"
            return "\(n) working day\(n == 1 ? "" : "s"), due at end of day (\(closing))"
        case let .workingDays(n, .sameTime):
            return "\(n) working day\(n == 1 ? "" : "s"), due at the same time of day"
        case let .workingMinutes(m):
            return m % 60 == 0 ? "\(m) working minutes (\(m / 60) h)" : "\(m) working minutes"
        }
    }

    // MARK: Formatting

    /// Identifier-like fields the routing table tests, in the table's order.
    var routingFieldIDs: [String] {
        var ids: [String] = []
        for r in pack.routing {
            for c in r.when where !ids.contains(c.field) { ids.append(c.field) }
            if r.target == .regionUnit, !ids.contains("region") { ids.append("region") }
        }
        return ids
    }

    func unitLabel(_ id: String?) -> String {
        guard let id else { return "no unit" }
        return pack.unit(id).map { "\(id) \($0.name)" } ?? id
    }

    public func stamp(_ d: Date) -> String { ISO8601.format(d, in: zone) }

    /// Wall-clock time of day, `16:20` (with seconds when not whole minutes).
    public func clock(_ d: Date) -> String {
        let local = d.timeIntervalSince1970 + Double(zone.secondsFromGMT(for: d))
        let second = Int((local - (local / 86_400).rounded(.down) * 86_400).rounded(.down))
        let hm = String(format: "%02d:%02d", second / 3600, (second % 3600) / 60)
        return second % 60 == 0 ? hm : hm + String(format: ":%02d", second % 60)
    }
}

extension ExplanationText {
    /// `1 h 40 min`, `7 h`, `40 min`, `30 s`; `0 min` for nothing.
    public static func duration(_ seconds: Double) -> String { Explainer.duration(seconds) }
}

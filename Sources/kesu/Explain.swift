import ArgumentParser
import Foundation
import KesuKernel
import KesuRendering

extension Rules {
    /// `kesu rules explain`: which routing rule matched and why the earlier ones did not, and how
    /// every clock's due time was reached, day by day.
    struct Explain: KesuCommand {
        static let configuration = CommandConfiguration(
            abstract: "Explain a case's routing and how each clock's due time was reached, day by day.",
            discussion: """
            A stored case: kesu rules explain --case YC-2026-000001
            Intake fields: kesu rules explain --field channel=phone --field category=logistics_service --at 2026-09-30T10:00
            """)
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("case"), help: "A stored case, by number or id.") var caseRef: String?
        @Option(name: .customLong("field"), help: "key=value as intake would get it; repeat for each field.") var fields: [String] = []
        @Option(help: "When intake would happen (ISO-8601; default --now). Without an offset it is read in the pack's time zone.")
        var at: String?

        func validate() throws {
            try global.validateValues()
            if caseRef != nil, !fields.isEmpty || at != nil {
                throw ValidationError("give either --case CASE, or --field key=value … [--at TIME], not both")
            }
            if caseRef == nil, fields.isEmpty {
                throw ValidationError("what should be explained? give --case CASE, or intake fields with --field key=value …")
            }
            _ = try parseFields(fields)
        }

        func run() async throws {
            try await guarded(global) {
                let explanation: CaseExplanation
                let pack: RulePack
                if let caseRef {
                    let engine = try global.engine()
                    let (state, events) = try await engine.history(caseRef)
                    // A case keeps the rules it started under: explain it under those, beside the pack in force.
                    var note: String?
                    do {
                        pack = try await engine.planner(for: state).pack
                    } catch let e as KesuError where e.code == .rulesUnavailable {
                        pack = engine.pack
                        note = "\(e.message); explained under the pack in force instead"
                    }
                    var x = try Explainer(pack: pack).explain(events: events, now: try global.currentTime(), current: engine.pack)
                    if let note { x.notes.append(note) }
                    explanation = x
                } else {
                    pack = try global.loadPack().pack
                    let explainer = try Explainer(pack: pack)
                    let when = try at.map { try Self.parseTime($0, zone: explainer.calendar.timeZone) } ?? global.currentTime()
                    explanation = try explainer.explain(fields: try parseFields(fields), at: when)
                }
                let zone = try BusinessCalendar(pack.calendar).timeZone
                if global.json {
                    Output.json(ExplainJSON(pack: pack, zone: zone).json(explanation))
                } else {
                    print(ExplanationText(pack: pack, zone: zone).lines(explanation).joined(separator: "\n"))
                }
            }
        }

        /// ISO-8601 with an offset, or a local `2026-09-30T10:00[:00]` / `2026-09-30 10:00` in the pack's zone.
        static func parseTime(_ text: String, zone: TimeZone) throws -> Date {
            if let d = ISO8601.parse(text) { return d }
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = zone
            for format in ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm"] {
                f.dateFormat = format
                if let d = f.date(from: text) { return d }
            }
            throw KesuError(.invalidInput, "--at '\(text)' is not a time; write it like 2026-09-30T10:00 (the pack's zone) or 2026-09-30T10:00:00+08:00")
        }
    }
}

/// The structured form of an explanation (`--json`).
struct ExplainJSON {
    let pack: RulePack
    let zone: TimeZone
    var text: ExplanationText { ExplanationText(pack: pack, zone: zone) }

    func time(_ d: Date?) -> JSON { d.map { .string(ISO8601.format($0, in: zone)) } ?? .null }

    func json(_ x: CaseExplanation) -> [String: JSON] {
        var o: [String: JSON] = [
            "case": .opt(x.caseNumber), "at": time(x.at), "pack_version": .string(x.packVersion),
            "routing": routing(x.routing),
            "clocks": .array(x.clocks.map(clock)),
            "notes": .array(x.notes.map(JSON.string)),
        ]
        if let current = x.currentRouting {
            o["current_pack_version"] = .opt(x.currentPackVersion)
            o["current_routing"] = routing(current)
        }
        if x.caseNumber == nil {
            o["not_started"] = .array(x.notStarted.map {
                .object(["clock": .string($0.clock), "name": .string($0.name), "reasons": .array($0.reasons.map(JSON.string))])
            })
        }
        return o
    }

    func routing(_ r: RoutingExplanation) -> JSON {
        .object([
            "matched": .opt(r.matched?.id), "matched_name": .opt(r.matched?.name),
            "matched_defined_at": .opt(r.matched.flatMap { m in pack.routing.first { $0.id == m.id }?.location.description }),
            "unit": .opt(r.unit), "unit_name": .opt(r.unit.flatMap { pack.unit($0)?.name }),
            "skipped": .array(r.skipped.map { s in
                .object(["rule": .string(s.id), "name": .string(s.name), "reasons": .array(s.reasons.map(JSON.string)),
                         "defined_at": .opt(pack.routing.first { $0.id == s.id }?.location.description)])
            }),
            "fields": .object(r.fields.mapValues(JSON.string)),
            "basis_seq": r.basisSeq.map(JSON.int) ?? .null, "basis_at": time(r.basisAt),
            "recorded_rule": .opt(r.recordedRule), "recorded_unit": .opt(r.recordedUnit),
            "recorded_pack_version": .opt(r.recordedPackVersion),
            "differs": .bool(r.differs), "pack_changed": .bool(r.packChanged),
            "current_unit": .opt(r.currentUnit), "manual_unit": .opt(r.manualUnit),
        ])
    }

    func length(_ l: ClockLength?) -> (JSON, JSON) {
        guard let l else { return (.null, .null) }
        let rule: JSON = switch l {
        case let .workingDays(n, end): .object(["working_days": .int(n), "ends": .string(end.rawValue)])
        case let .workingMinutes(m): .object(["working_minutes": .int(m)])
        }
        return (.string(text.describe(l)), rule)
    }

    func clock(_ c: ClockRunExplanation) -> JSON {
        let (lengthText, lengthRule) = length(c.length)
        return .object([
            "clock": .string(c.run.clock), "name": .string(c.name), "run": .int(c.run.run),
            "started_at": time(c.startedAt), "length": lengthText, "length_rule": lengthRule,
            "days": .array((c.initial?.days ?? []).map(day)),
            "computed_due": time(c.initial?.due), "recorded_due": time(c.recordedDue),
            "pauses": .array(c.pauses.map { p in
                .object([
                    "paused_at": time(p.pausedAt), "remaining_minutes": .number(p.remaining / 60),
                    "resumed_at": time(p.resumedAt), "due_at": time(p.dueAt),
                    "days": .array((p.resume?.days ?? []).map(day)),
                ])
            }),
            "extensions": .array(c.extensions.map { x in
                let (t, r) = length(x.length)
                return .object([
                    "at": time(x.at), "by": .string(x.approver), "by_name": .opt(pack.person(x.approver)?.name),
                    "reason": .string(x.reason), "old_due": time(x.oldDue), "new_due": time(x.newDue),
                    "length": t, "length_rule": r, "days": .array((x.walk?.days ?? []).map(day)),
                ])
            }),
            "due_at": time(c.dueAt),
            // How surely the due time is known: the weakest year counted through, and each year walked.
            "due_calendar": .string(text.coverage(from: c.startedAt, to: c.dueAt).rawValue),
            "calendar_years": .array(text.calendarYears(c).map { .object(["year": .int($0.year), "calendar": .string($0.coverage.rawValue)]) }),
            "status": .string(c.status.rawValue),
            "stopped_at": time(c.stoppedAt), "late": c.late.map(JSON.bool) ?? .null, "overdue": .bool(c.overdue),
            "notes": .array(c.notes.map(JSON.string)),
        ])
    }

    func day(_ d: ExplainedDay) -> JSON {
        var o: [String: JSON] = [
            "date": .string(d.date.description),
            "weekday": .string(ExplanationText.weekdays[(d.weekday - 1 + 7) % 7]),
            "role": .string(d.role.rawValue), "counted": .bool(d.counted),
        ]
        switch d.kind {
        case .working: o["kind"] = .string("working")
        case .weekend: o["kind"] = .string("weekend")
        case let .holiday(name, label):
            o["kind"] = .string("holiday"); o["holiday_name"] = .string(name); o["holiday_label"] = .string(label)
        case let .adjustedWorkday(name, label):
            o["kind"] = .string("adjusted_workday"); o["holiday_name"] = .string(name); o["holiday_label"] = .string(label)
        }
        if let k = d.ordinal { o["working_day"] = .int(k) }
        if let s = d.businessSeconds { o["business_minutes"] = .number(s / 60) }
        if !d.spans.isEmpty {
            o["business_hours"] = .array(d.spans.map { .string("\(text.clock($0.from))-\(text.clock($0.until))") })
        }
        if let s = d.startedAt { o["started_at"] = time(s) }
        if let l = d.leftThatDay { o["left_that_day_minutes"] = .number(l / 60) }
        if d.isDueDay { o["due_day"] = .bool(true) }
        return .object(o)
    }
}

import ArgumentParser
import Foundation
import KesuKernel
import KesuRendering

/// `kesu penalties …`: the thresholds' recommendations, decisions on them, written notices, appeals.
struct Penalties: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Penalties the thresholds recommend: list them, decide, print the written notice, appeal.",
        discussion: """
        A recommendation's id is PERIOD-person-ID or PERIOD-unit-ID, e.g. 2026Q3-person-yang_fan.
        Every decision, appeal and appeal decision is recorded (kesu penalties show ID lists them).
        """,
        subcommands: [ListPenalties.self, ShowPenalty.self, Decide.self, Notice.self, Appeal.self, DecideAppeal.self])

    struct ListPenalties: KesuCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Recommendations with their evidence and status.",
            discussion: """
            Without --period: for each kind of period the thresholds use, the one running at --now and the one
            before, and every period with a recorded decision.
            """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "2026Q3, 2026-10 or 2026; repeat for several.") var period: [String] = []
        @Option(help: "open (not decided), decided (an appeal still possible), appealed, final, or all.")
        var status: PenaltyStatusChoice = .open

        func validate() throws {
            try global.validateValues()
            for p in period { try validatePeriod(p) }
        }

        func run() async throws {
            try await guarded(global) {
                let wanted = status.status
                let engine = try global.engine()
                let now = try global.currentTime()
                let periods = period.isEmpty
                    ? try await engine.penaltyPeriods(at: now)
                    : try period.map { try Period.parse($0, calendar: engine.planner.calendar) }
                let all = try await engine.penalties(periods: periods)
                let shown = all.filter { wanted == nil || $0.status(at: now) == wanted }
                let r = PenaltyRenderer(engine: engine, now: now)
                if global.json {
                    Output.json([
                        "periods": .array(periods.map { .string($0.label) }), "status": .string(status.rawValue),
                        "total": .int(all.count), "penalties": .array(shown.map { .object(r.json($0, records: false)) }),
                    ])
                } else {
                    for p in shown { print(r.text(p, records: false)) }
                    print("\(shown.count) of \(all.count) recommendation(s) in \(periods.map(\.label).joined(separator: ", "))"
                        + (wanted.map { " with status \($0.rawValue) (\($0.name))" } ?? ""))
                }
            }
        }
    }

    struct ShowPenalty: KesuCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "One recommendation: evidence, decision, appeal and every record.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The penalty id, e.g. 2026Q3-person-yang_fan.") var id: String

        func run() async throws {
            try await guarded(global) {
                let engine = try global.engine()
                let now = try global.currentTime()
                let p = try await engine.penalty(id, at: now)
                PenaltyRenderer(engine: engine, now: now).print(p, json: global.json)
            }
        }
    }

    struct Decide: KesuCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decide a recommendation: the penalty recommended, another of the ladder, or no_penalty (dismiss it).",
            discussion: "Example: kesu penalties decide 2026Q3-person-yang_fan --as feng_jianguo --decision written_warning --reason …")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The penalty id.") var id: String
        @Option(help: "A penalty id of the pack's ladder, or no_penalty (dismiss the recommendation).") var decision: String
        @Option(help: "Why; printed on the written notice.") var reason: String

        func run() async throws {
            try await guarded(global) {
                let engine = try global.engine()
                let now = try global.currentTime()
                let p = try await engine.decidePenalty(id, decision: decision, reason: reason, by: try global.actor(), at: now)
                PenaltyRenderer(engine: engine, now: now).print(p, json: global.json)
                if !global.json { print("written notice: kesu penalties notice \(p.id) --format html --out \(p.id).html") }
            }
        }
    }

    struct Notice: KesuCommand {
        static let configuration = CommandConfiguration(
            abstract: "The written notice of a decision (处罚决定通知书), as HTML that prints on A4 or as text.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The penalty id.") var id: String
        @Option(help: "The notice as a page that prints on A4, or as plain text.") var format: Format = .html
        @Option(help: "Write the notice to this file instead of stdout.") var out: String?

        enum Format: String, CaseIterable, ExpressibleByArgument { case html, text }

        func run() async throws {
            try await guarded(global) {
                let engine = try global.engine()
                let p = try await engine.penalty(id, at: try global.currentTime())
                let notice = try PenaltyNotice(p, pack: engine.pack)
                let document = format == .html ? notice.html() : notice.text()
                if let out {
                    do {
                        try Data(document.utf8).write(to: URL(fileURLWithPath: out))
                    } catch {
                        throw KesuError(.invalidInput, "cannot write the notice to '\(out)': \(error.localizedDescription)")
                    }
                }
                if global.json {
                    var o: [String: JSON] = ["id": .string(p.id.description), "format": .string(format.rawValue), "title": .string(notice.title),
                                             "path": .opt(out)]
                    if out == nil { o["document"] = .string(document) }
                    Output.json(o)
                } else if let out {
                    print("wrote the \(format.rawValue) notice of \(p.id) (\(notice.title)) to \(out)")
                } else {
                    Swift.print(document, terminator: "")
                }
            }
        }
    }

    struct Appeal: KesuCommand {
        static let configuration = CommandConfiguration(
            abstract: "Appeal a decision, within the window the pack gives (by the person concerned or a role it names).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The penalty id.") var id: String
        @Option(help: "Why the decision should change.") var reason: String

        func run() async throws {
            try await guarded(global) {
                let engine = try global.engine()
                let now = try global.currentTime()
                let p = try await engine.appealPenalty(id, reason: reason, by: try global.actor(), at: now)
                PenaltyRenderer(engine: engine, now: now).print(p, json: global.json)
            }
        }
    }

    struct DecideAppeal: KesuCommand {
        static let configuration = CommandConfiguration(
            commandName: "decide-appeal",
            abstract: "Decide an appeal: upheld, changed (with --decision PENALTY) or revoked.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The penalty id.") var id: String
        @Option(help: "What becomes of the decision appealed against.") var outcome: PenaltyAppealOutcome
        @Option(help: "With --outcome changed: the penalty that replaces the one decided.") var decision: String?
        @Option(help: "Why; printed on the notice.") var reason: String

        func run() async throws {
            try await guarded(global) {
                let engine = try global.engine()
                let now = try global.currentTime()
                let p = try await engine.decidePenaltyAppeal(id, outcome: outcome, decision: decision, reason: reason,
                                                             by: try global.actor(), at: now)
                PenaltyRenderer(engine: engine, now: now).print(p, json: global.json)
            }
        }
    }
}

/// Renders recommendations and their records for people (Chinese labels beside ids) and scripts (JSON).
struct PenaltyRenderer {
    let engine: Engine
    let now: Date
    var cases: CaseRenderer { CaseRenderer(engine: engine) }
    var zone: TimeZone { engine.planner.calendar.timeZone }

    func print(_ p: PenaltyProceeding, json: Bool) {
        if json { Output.json(self.json(p, records: true)) } else { Swift.print(text(p, records: true)) }
    }

    func evidenceJSON(_ items: [PenaltyEvidence]) -> JSON {
        .array(items.map {
            .object(["case": .string($0.caseNumber), "cause": .string($0.cause), "cause_name": .string($0.causeName),
                     "rule_id": .string($0.rule), "points": .number($0.points), "occurred_at": cases.timeJSON($0.occurredAt),
                     "pack_version": .string($0.packVersion)])
        })
    }

    func json(_ p: PenaltyProceeding, records: Bool) -> [String: JSON] {
        let status = p.status(at: now)
        let unit = p.decision?.unit ?? p.recommendation?.unit ?? (p.id.subject.kind == .unit ? p.id.subject.id : nil)
        var o: [String: JSON] = [
            "id": .string(p.id.description), "period": .string(p.id.period),
            "subject": .object(["kind": .string(p.id.subject.kind.rawValue), "id": .string(p.id.subject.id)]),
            "name": .string(p.subjectName), "unit": .opt(unit),
            "status": .string(status.rawValue), "status_name": .string(status.name),
            "penalty_in_force": .opt(p.penaltyInForce), "penalty_in_force_name": .opt(p.penaltyInForceName),
            "recommendation": p.recommendation.map { r in
                .object(["penalty": .string(r.penalty), "penalty_name": .string(r.penaltyName), "threshold": .string(r.threshold),
                         "threshold_points": .number(r.thresholdPoints), "baseline": .number(r.baseline),
                         "deducted": .number(r.deducted), "evidence": evidenceJSON(r.evidence)])
            } ?? .null,
            "decision": p.decision.map { d in
                .object(["decision": .string(d.decision), "decision_name": .string(d.decisionLabel),
                         "recommended": .string(d.recommended), "recommended_name": .string(d.recommendedName),
                         "threshold": .string(d.threshold), "reason": .string(d.reason),
                         "decided_by": .string(d.decidedBy), "decided_by_name": .string(d.decidedByName),
                         "decided_as": .string(d.decidedAs), "decided_at": cases.timeJSON(p.decidedAt),
                         "points": .number(d.points), "evidence": evidenceJSON(d.evidence),
                         "appeal_deadline": cases.timeJSON(d.appealDeadline)])
            } ?? .null,
            "appeal": p.appeal.map { a in
                .object(["by": .string(a.by), "by_name": .string(a.byName), "reason": .string(a.reason), "at": cases.timeJSON(p.appealedAt)])
            } ?? .null,
            "appeal_decision": p.appealDecision.map { a in
                .object(["outcome": .string(a.outcome.rawValue), "decision": .string(a.decision), "decision_name": .string(a.decisionLabel),
                         "reason": .string(a.reason), "decided_by": .string(a.decidedBy), "decided_by_name": .string(a.decidedByName),
                         "at": cases.timeJSON(p.appealDecidedAt)])
            } ?? .null,
        ]
        if records {
            o["records"] = .array(p.history.map { e in
                .object(["seq": .int(e.seq), "at": cases.timeJSON(e.at), "actor": .string(e.actor), "type": .string(e.type),
                         "pack_version": .string(e.packVersion), "body": .string(e.body)])
            })
        }
        return o
    }

    func time(_ d: Date?) -> String { d.map { PenaltyNotice.time($0, in: zone) } ?? "-" }

    func evidenceLines(_ items: [PenaltyEvidence]) -> [String] {
        items.map { "      \($0.caseNumber)  \($0.causeName) (\($0.cause))  \($0.rule)  −\(fmt($0.points))  \(time($0.occurredAt))" }
    }

    func text(_ p: PenaltyProceeding, records: Bool) -> String {
        let status = p.status(at: now)
        let pack = engine.pack
        let unit = p.decision?.unitName ?? p.recommendation?.unit.flatMap { pack.unit($0)?.name ?? $0 }
        var lines = ["\(p.id)  \(p.subjectName)\(unit.map { " (\($0))" } ?? "")  \(PenaltyNotice.periodName(p.id.period))  "
            + "\(status.name) (\(status.rawValue))"]
        if let r = p.recommendation {
            lines.append("    建议: \(r.penaltyName) (\(r.penalty))  扣 \(fmt(r.deducted)) 分, 阈值 \(r.threshold) (\(fmt(r.thresholdPoints)) 分)"
                + (r.period.end > now ? "  [期间未结束]" : ""))
            if p.decision == nil { lines += evidenceLines(r.evidence) }
        }
        if let d = p.decision {
            lines.append("    决定: \(d.decisionLabel) (\(d.decision))  by \(d.decidedByName) (\(d.decidedBy), \(d.decidedAsName))  \(time(p.decidedAt))")
            lines.append("    理由: \(d.reason)")
            if d.decision != d.recommended { lines.append("    (建议为 \(d.recommendedName) (\(d.recommended)))") }
            lines.append("    依据: 扣 \(fmt(d.points)) 分")
            lines += evidenceLines(d.evidence)
            if let deadline = d.appealDeadline, p.appeal == nil { lines.append("    申诉期限: \(time(deadline))") }
        }
        if let a = p.appeal {
            lines.append("    申诉: \(a.byName) (\(a.by))  \(time(p.appealedAt))  理由: \(a.reason)")
        }
        if let a = p.appealDecision {
            lines.append("    复核: \(a.outcome.rawValue) → \(a.decisionLabel) (\(a.decision))  by \(a.decidedByName) (\(a.decidedBy))  "
                + "\(time(p.appealDecidedAt))  理由: \(a.reason)")
        }
        if records, !p.history.isEmpty {
            lines.append("    records:")
            for e in p.history { lines.append(String(format: "    %3d ", e.seq) + "\(time(e.at)) \(e.actor): \(e.type)") }
        }
        return lines.joined(separator: "\n")
    }
}

import ArgumentParser
import Foundation
import KesuKernel
import KesuRendering
import KesuViews
import KesuSQLite
import KesuYAML

struct Rules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check and inspect rule packs.", subcommands: [Validate.self, RulesTest.self, RulesDiff.self, History.self, Explain.self])

    struct Validate: KesuCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load a pack and report every problem as file:line:column: error|warning: message.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The pack folder (default: --rules).") var pack: String?

        func run() async throws {
            let opts = global.with(pack: pack)
            try await guarded(opts) {
                let loaded = try opts.loadPack()
                let p = loaded.pack
                let warnings = (loaded.warnings + p.calendarCoverage(now: try opts.currentTime())).sortedByLocation()
                if opts.json {
                    Output.json([
                        "valid": .bool(true), "pack": .string(p.info.id), "version": .string(p.version),
                        "case_number_gaps": .string(p.info.caseNumberGaps.rawValue),
                        "warnings": .array(warnings.map { .string($0.description) }),
                        "files": .array(loaded.files.map(JSON.string)),
                    ])
                } else {
                    for w in warnings { print(w) }
                    print("\(opts.rulesPath): ok — \(p.info.name) (\(p.info.id)), version \(p.version.prefix(12)); "
                        + "\(p.routing.count) routes, \(p.procedure.states.count) states, \(p.procedure.transitions.count) transitions, "
                        + "\(p.clocks.count) clocks, \(p.scoring.rules.count) scoring rules; "
                        + "case numbers \(p.info.caseNumbering.number(year: 2026, seq: 1)) …, "
                        + (p.info.caseNumberGaps == .gapless ? "gapless" : "gaps allowed")
                        + "; \(warnings.count) warning(s)")
                }
            }
        }
    }

    struct History: KesuCommand {
        static let configuration = CommandConfiguration(abstract: "Pack versions seen in the store, with first and last use.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await guarded(global) {
                let engine = try global.engine()
                let uses = try await engine.store.packVersions()
                var held: [String: PackSnapshot] = [:]
                for u in uses { held[u.version] = try await engine.store.pack(version: u.version) }
                let r = CaseRenderer(engine: engine)
                if global.json {
                    Output.json(["versions": .array(uses.map { u in
                        .object(["version": .string(u.version), "pack": .opt(held[u.version]?.packID), "name": .opt(held[u.version]?.name),
                                 "first_used": r.timeJSON(u.firstUsed), "last_used": r.timeJSON(u.lastUsed), "events": .int(u.events),
                                 "cases": .int(u.cases), "open_cases": .int(u.openCases), "sources_held": .bool(held[u.version] != nil),
                                 "current": .bool(u.version == engine.pack.version)])
                    })])
                } else {
                    if uses.isEmpty { print("no cases yet: the store has used no pack version") }
                    for u in uses {
                        let name = held[u.version].map { "\($0.packID) \($0.name)" } ?? "(sources not held)"
                        print("\(u.version.prefix(12))  \(name)\(u.version == engine.pack.version ? "  (current)" : "")")
                        print("    used \(r.time(u.firstUsed)) … \(r.time(u.lastUsed)), \(u.events) events; "
                            + "\(u.cases) case(s) run under it, \(u.openCases) open")
                    }
                }
            }
        }
    }
}

struct Intake: KesuCommand {
    static let configuration = CommandConfiguration(
        abstract: "Register a complaint, inquiry or suggestion.",
        discussion: "Example: kesu intake --as zhao_min --field channel=phone --field kind=complaint --field description=…")
    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("field"), help: "key=value; repeat for each field.") var fields: [String] = []
    @Option(help: "A key that makes a retry safe: the same key again returns the case already registered.")
    var idempotencyKey: String?

    func validate() throws {
        try global.validateValues()
        _ = try parseFields(fields)
    }

    func run() async throws {
        try await guarded(global) {
            let given = try parseFields(fields)
            let engine = try global.engine()
            let now = try global.currentTime()
            let result = try await engine.intake(fields: given, by: try global.actor(), at: now, idempotencyKey: idempotencyKey)
            await deliverAfterCommit(engine, at: now)
            let r = CaseRenderer(engine: engine, viewer: try global.viewer(engine.pack))
            try await AccessCommand.recordShown(engine, result.state, to: r.viewer, at: now)
            if global.json {
                Output.json(await r.json(result.state, at: now, extra: [
                    "proposed_category": .opt(result.proposedCategory), "replayed": .bool(result.replayed)]))
            } else {
                if result.replayed { print("(already registered with this idempotency key: nothing new was written)") }
                print(await r.text(result.state, at: now))
                if let c = result.proposedCategory {
                    print("  proposed category: \(r.label("category", c)) (from keywords; confirm it when classifying)")
                }
            }
        }
    }
}

struct Show: KesuCommand {
    static let configuration = CommandConfiguration(abstract: "Show a case with its clocks and full history.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Case number or id.") var caseRef: String

    func run() async throws {
        try await guarded(global) {
            let engine = try global.engine()
            let viewer = try global.viewer(engine.pack)
            let (state, events) = try await engine.history(caseRef)
            if let viewer, !viewer.canSee(handlingUnit: state.handlingUnit) {
                throw KesuError(.forbidden, "\(viewer.id)'s roles (\(viewer.person.roles.joined(separator: ", "))) see only the cases \(viewer.unit) handles; \(state.number) is handled by \(state.handlingUnit ?? "no unit yet")")
            }
            let r = CaseRenderer(engine: engine, viewer: viewer)
            let now = try global.currentTime()
            // Shown as a person (--as) with personal_data: recorded like the console and the API.
            try await AccessCommand.recordShown(engine, state, to: viewer, at: now)
            if global.json { Output.json(await r.json(state, events: events, at: now)) } else { print(await r.text(state, events: events, at: now)) }
        }
    }
}

struct List: KesuCommand {
    static let configuration = CommandConfiguration(abstract: "List cases by state, unit, overdue, date or text.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Only cases in this state.") var state: String?
    @Option(help: "Only cases handled by this unit.") var unit: String?
    @Flag(help: "Only open cases with a running clock past its due time (at --now).") var overdue = false
    @Flag(help: "Only open cases.") var open = false
    @Option(help: "Opened on or after (ISO-8601).") var from: String?
    @Option(help: "Opened before (ISO-8601).") var until: String?
    @Option(help: "Text in the subject, description or number.") var text: String?
    @Option(help: "At most this many.") var limit = 100
    @Option(help: "Skip this many.") var offset = 0

    func validate() throws {
        try global.validateValues()
        for (name, text) in [("from", from), ("until", until)] {
            if let text, ISO8601.parse(text) == nil {
                throw ValidationError("--\(name) '\(text)' is not an ISO-8601 time; write it like 2026-09-30T10:00:00+08:00")
            }
        }
    }

    func run() async throws {
        try await guarded(global) {
            let engine = try global.engine()
            let pack = engine.pack
            if let state, pack.state(state) == nil {
                throw KesuError(.invalidValue, "no state '\(state)'\(Suggest.hint(for: state, in: pack.procedure.states.map(\.id)))")
            }
            if let unit, pack.unit(unit) == nil {
                throw KesuError(.invalidValue, "no unit '\(unit)'\(Suggest.hint(for: unit, in: pack.units.map(\.id)))")
            }
            // A unit-scoped viewer (--as) lists only the cases its unit handles now.
            var unit = unit
            if let viewer = try global.viewer(pack), !viewer.seesAllCases {
                if let unit, unit != viewer.unit {
                    throw KesuError(.forbidden, "\(viewer.id)'s roles see only the cases \(viewer.unit) handles, not \(unit)'s")
                }
                unit = viewer.unit
            }
            let q = CaseQuery(
                state: state, unit: unit, overdueAt: overdue ? try global.currentTime() : nil, openOnly: open,
                openedFrom: from.flatMap(ISO8601.parse), openedBefore: until.flatMap(ISO8601.parse), text: text,
                limit: limit, offset: offset)
            let rows = try await engine.store.list(q)
            let total = try await engine.store.count(q)
            let r = CaseRenderer(engine: engine)
            if global.json {
                let page = r.views(at: try global.currentTime()).list(rows, total: total, limit: limit, offset: offset)
                if case let .object(o) = try ViewJSON.value(page) { Output.json(o.mapValues(JSON.init)) }
            } else {
                let views = r.views(at: try global.currentTime())
                for s in rows {
                    let flag = CoverageText.mark(views.row(s).earliestDueCalendar)
                    print("\(s.number)  \(pack.state(s.state)?.name ?? s.state)  \(s.handlingUnit.map { pack.unit($0)?.name ?? $0 } ?? "-")  opened \(r.time(s.openedAt))  due \(r.time(s.earliestDue))\(flag)")
                }
                print("\(rows.count) of \(total) case(s)")
            }
        }
    }
}

struct Act: KesuCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take a transition on a case.",
        discussion: "Example: kesu act YC-2026-000001 callback --as zhao_min --field satisfaction=satisfied")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Case number or id.") var caseRef: String
    @Argument(help: "Transition id (see `kesu show CASE` for the ones available).") var transition: String
    @Option(name: .customLong("field"), help: "key=value; repeat for each field.") var fields: [String] = []
    @Option(help: "Refuse if the case is no longer at this version.") var expectVersion: Int?

    func validate() throws {
        try global.validateValues()
        _ = try parseFields(fields)
    }

    func run() async throws {
        try await guarded(global) {
            let given = try parseFields(fields)
            let engine = try global.engine()
            let now = try global.currentTime()
            let s = try await engine.act(caseRef, transition: transition, fields: given, by: try global.actor(),
                                         at: now, expectedVersion: expectVersion)
            await deliverAfterCommit(engine, at: now)
            let r = CaseRenderer(engine: engine, viewer: try global.viewer(engine.pack))
            try await AccessCommand.recordShown(engine, s, to: r.viewer, at: now)
            if global.json { Output.json(await r.json(s, at: now)) } else { print(await r.text(s, at: now)) }
        }
    }
}

struct Extend: KesuCommand {
    static let configuration = CommandConfiguration(abstract: "Extend a running clock, with a reason; the acting approver is recorded.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Case number or id.") var caseRef: String
    @Option(help: "The clock to extend.") var clock: String
    @Option(help: "Working days to add.") var days: Int?
    @Option(help: "Working hours to add.") var hours: Int?
    @Option(help: "Why more time is needed.") var reason: String

    /// The extension asked for: --days or --hours, exactly one of them (checked in `validate()`).
    var length: ClockLength {
        if let days { return .workingDays(days, .endOfDay) }
        return .workingMinutes((hours ?? 0) * 60)
    }

    func validate() throws {
        try global.validateValues()
        switch (days, hours) {
        case (nil, nil), (_?, _?): throw ValidationError("give exactly one of --days N or --hours N")
        case let (n?, nil), let (nil, n?):
            if n < 1 { throw ValidationError("--\(days != nil ? "days" : "hours") must be at least 1, not \(n)") }
        }
    }

    func run() async throws {
        try await guarded(global) {
            let engine = try global.engine()
            let now = try global.currentTime()
            let s = try await engine.extend(caseRef, clock: clock, by: length, reason: reason,
                                            approver: try global.actor(), at: now)
            await deliverAfterCommit(engine, at: now)
            let r = CaseRenderer(engine: engine, viewer: try global.viewer(engine.pack))
            try await AccessCommand.recordShown(engine, s, to: r.viewer, at: now)
            if global.json { Output.json(await r.json(s, at: now)) } else { print(await r.text(s, at: now)) }
        }
    }
}

struct Sweep: KesuCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fire due reminders, escalations and violations (exactly once each, however often it runs), then deliver the outbox.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await guarded(global) {
            let engine = try global.engine()
            let now = try global.currentTime()
            // A changed holiday calendar is adopted first, so the sweep fires on the re-planned due times.
            let calendar = try await engine.calendarDuties(at: now)
            let report = try await engine.sweep(at: now)
            let reports = try await engine.sweepReports(at: now)
            // Everything the sweep enqueued (and whatever else is due) goes out now; failures stay in the outbox.
            let delivery = try await engine.deliverOutbox(at: now)
            let r = CaseRenderer(engine: engine)
            if global.json {
                let view = SweepReportView(cases: report, reports: reports, calendar: calendar, delivery: delivery,
                                           zone: engine.planner.calendar.timeZone)
                if case let .object(o) = try ViewJSON.value(view) { Output.json(o.mapValues(JSON.init)) }
            } else {
                for f in report.fired {
                    print("\(f.caseNumber)  \(f.type)  \(f.violation ?? f.ruleID ?? "")  → \(f.recipients.joined(separator: ", "))  (due \(r.time(f.dueAt)))")
                }
                for x in reports {
                    print("report \(x.quarter) \(x.reportID) \(x.unit)  \(x.kind == .reminded ? "reminder" : "late")  → \(x.recipients.joined(separator: ", "))  (due \(r.time(x.due)))")
                }
                for m in calendar.moved {
                    print("\(m.caseNumber)  clock_replanned  \(m.run)  due \(r.time(m.from)) → \(r.time(m.to))  (new holiday calendar)")
                }
                if calendar.noticeSent {
                    print("calendar: official holidays end \(calendar.coverageEnd?.description ?? "before today") "
                        + "(\(calendar.coverageDaysLeft) day(s) left); the administrators were notified")
                }
                for p in report.problems + calendar.skipped.map({ "case \($0.caseNumber) not re-planned (\($0.code.rawValue)): \($0.reason)" }) {
                    Output.err("warning: \(p)")
                }
                print("sweep at \(r.time(report.at)): \(report.casesExamined) case(s) examined, \(report.fired.count) fired"
                    + (reports.isEmpty ? "" : ", \(reports.count) periodic-report item(s)")
                    + (report.problems.isEmpty ? "" : ", \(report.problems.count) case(s) skipped"))
                if !delivery.attempts.isEmpty { print(deliveryLine(delivery)) }
            }
        }
    }
}


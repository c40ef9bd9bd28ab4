import Foundation
import Hummingbird
import KesuKernel
import KesuRendering
import KesuViews

extension Console {
    /// Pages for the rules desk: the pack in force, readable, and Try a complaint (rules_admin).
    func registerRulesDesk(_ g: RouterGroup<KesuRequestContext>) {
        g.get("rules", use: signedIn(rulesOverview))
        g.get("rules/organisation", use: signedIn(rulesOrganisation))
        g.get("rules/categories", use: signedIn(rulesCategories))
        g.get("rules/routing", use: signedIn(rulesRouting))
        g.get("rules/clocks", use: signedIn(rulesClocks))
        g.get("rules/calendar", use: signedIn(rulesCalendar))
        g.get("rules/try", use: signedIn(rulesTryPage))
        g.post("rules/try", use: signedIn(rulesTryPost))
    }

    /// The rules desk, people and access, and the outbox are the rules administrator's alone.
    func mustAdministerRules(_ reader: Reader, to what: String = "查看现行规则") throws {
        guard reader.principal.has(.rulesAdmin) else { throw ConsoleError(.forbidden, "只有规则管理员可以\(what)。") }
    }

    /// Where a definition is written, `routing.yaml:12` (the file name only); empty for rules built in code.
    static func source(_ l: SourceLocation) -> String {
        l.line > 0 ? "\((l.file as NSString).lastPathComponent):\(l.line)" : ""
    }

    var rulesText: RulesText { RulesText(pack: engine.pack) }

    // MARK: 概览

    @Sendable func rulesOverview(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader)
        let info = api.rules.info
        let pack = engine.pack
        let counts: [RulesOverviewPage.Count] = [
            .init(label: "单位", value: pack.units.count, href: "/console/rules/organisation"),
            .init(label: "人员", value: pack.people.count, href: "/console/rules/organisation"),
            .init(label: "角色", value: pack.roles.count, href: "/console/rules/organisation"),
            .init(label: "分类", value: pack.categories.count, href: "/console/rules/categories"),
            .init(label: "派单规则", value: pack.routing.count, href: "/console/rules/routing"),
            .init(label: "时限", value: pack.clocks.count, href: "/console/rules/clocks"),
            .init(label: "扣分规则", value: pack.scoring.rules.count, href: "/console/rules/clocks#scoring"),
        ]
        let warnings = info.warnings.map { RulesOverviewPage.Warning(text: $0.message, at: Self.source($0.location)) }
        let page = RulesOverviewPage(
            chrome: chrome("规则", reader, current: "rules"), subnav: .make(current: "overview"),
            name: pack.info.name, id: pack.info.id, label: pack.info.label.isEmpty ? nil : pack.info.label, version: String(info.version.prefix(12)),
            fullVersion: info.version, loadedAt: time(info.loadedAt), warnings: warnings, hasWarnings: !warnings.isEmpty, counts: counts)
        return Self.html(pages.render(page, "rules"))
    }

    // MARK: 组织与角色

    @Sendable func rulesOrganisation(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader)
        let pack = engine.pack
        let text = rulesText
        func name(_ id: String?) -> String { id.map { pack.person($0)?.name ?? $0 } ?? "（未设）" }
        let units = pack.units.map { u in
            RulesOrganisationPage.UnitRow(id: u.id, name: u.name, center: u.isCenter, liaison: name(u.liaison), head: name(u.head),
                                          people: pack.people.filter { $0.unit == u.id }.count, at: Self.source(u.location))
        }
        let people = pack.people.map { p in
            RulesOrganisationPage.PersonRow(id: p.id, name: p.name, unit: pack.unit(p.unit)?.name ?? p.unit, roles: text.roles(p.roles))
        }
        let roles = pack.roles.map { r -> RulesOrganisationPage.RoleRow in
            let permissions = Permission.allCases.filter { r.permissions.contains($0) }.map(RulesText.permission)
            // A read-only role takes no step, whatever the procedure lists.
            let steps = r.readOnly ? [] : pack.procedure.transitions.filter { $0.roles.contains(r.id) }.map(\.name)
            return .init(id: r.id, name: r.name, permissions: permissions, hasPermissions: !permissions.isEmpty,
                         scope: RulesText.scope(r.scope), readOnly: r.readOnly, transitions: steps, hasTransitions: !steps.isEmpty,
                         intake: !r.readOnly && pack.procedure.intake.roles.contains(r.id),
                         people: pack.people.filter { $0.roles.contains(r.id) }.map(\.name).joined(separator: "、"),
                         at: Self.source(r.location))
        }
        let page = RulesOrganisationPage(chrome: chrome("规则：组织与角色", reader, current: "rules"), subnav: .make(current: "organisation"),
                                         units: units, people: people, roles: roles)
        return Self.html(pages.render(page, "rules-organisation"))
    }

    // MARK: 分类

    @Sendable func rulesCategories(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader)
        let pack = engine.pack
        func named(_ cs: [KesuKernel.Choice]) -> [RulesCategoriesPage.Named] { cs.map { .init(id: $0.id, name: $0.name) } }
        let categories = pack.categories.map { c in
            RulesCategoriesPage.CategoryRow(
                id: c.id, name: c.name,
                kinds: c.kinds.isEmpty ? "全部类型" : c.kinds.map { pack.label(field: "kind", value: $0) ?? $0 }.joined(separator: "、"),
                keywords: c.keywords, hasKeywords: !c.keywords.isEmpty, at: Self.source(c.location))
        }
        let regions = pack.regions.map { r in
            RulesCategoriesPage.RegionRow(id: r.id, name: r.name, unit: r.unit.map { pack.unit($0)?.name ?? $0 } ?? "（无所属单位）")
        }
        let types: [FieldDef.FieldType: String] = [.text: "文字", .choice: "选项", .datetime: "时间", .number: "数字", .boolean: "是/否", .person: "人员"]
        let fields = pack.fields.map { f in
            RulesCategoriesPage.FieldRow(id: f.id, name: f.name, type: types[f.type] ?? f.type.rawValue,
                                         values: f.values.map(\.name).joined(separator: "、"), personal: f.personal)
        }
        let page = RulesCategoriesPage(
            chrome: chrome("规则：分类", reader, current: "rules"), subnav: .make(current: "categories"), categories: categories,
            kinds: named(pack.kinds), levels: named(pack.levels), complainantTypes: named(pack.complainantTypes), channels: named(pack.channels),
            regions: regions, hasRegions: !regions.isEmpty, fields: fields, hasFields: !fields.isEmpty)
        return Self.html(pages.render(page, "rules-categories"))
    }

    // MARK: 派单规则

    @Sendable func rulesRouting(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader)
        let text = rulesText
        let rows = engine.pack.routing.enumerated().map { i, r in
            RulesRoutingPage.Row(position: i + 1, id: r.id, name: r.name,
                                 conditions: text.conditions(r.when, always: "其余所有情况"), target: text.target(r.target),
                                 at: Self.source(r.location), fallback: r.isFallback)
        }
        let page = RulesRoutingPage(chrome: chrome("规则：派单规则", reader, current: "rules"), subnav: .make(current: "routing"),
                                    rows: rows, hasFallback: rows.contains(where: \.fallback))
        return Self.html(pages.render(page, "rules-routing"))
    }

    // MARK: 时限与考核

    @Sendable func rulesClocks(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader)
        let pack = engine.pack
        let text = rulesText
        let clocks = pack.clocks.map { c -> RulesClocksPage.ClockRow in
            let ladder = c.ladder.flatMap { id in pack.ladders.first { $0.id == id } }
            let steps = (ladder?.steps ?? []).map { s in
                RulesClocksPage.Step(when: RulesText.when(s.at), what: text.ladderStep(s), at: Self.source(s.location))
            }
            let ext = c.extensionRule.map { e in
                "可延期：由\(text.roles(e.approvers))批准，每次计时最多 \(e.maxCount) 次，每次最多\(HistoryText.lengthText(e.maxLength))"
                    + (e.allowLate ? "，逾期后仍可延期" : "")
            }
            return .init(id: c.id, name: c.name, length: text.length(c.length),
                         when: c.when.isEmpty ? nil : "仅当" + text.conditions(c.when) + "时计时",
                         start: text.steps(c.start), stop: text.steps(c.stop),
                         pause: c.pause.isEmpty ? nil : text.steps(c.pause), resume: c.resume.isEmpty ? nil : text.steps(c.resume),
                         owner: RulesText.owner(c.owner), responsible: RulesText.responsible(c.responsible),
                         violation: c.violation.map(text.violation), extensionText: ext, ladder: ladder?.id,
                         steps: steps, hasSteps: !steps.isEmpty, at: Self.source(c.location))
        }
        let scoring = pack.scoring
        let scores = scoring.rules.map { r -> RulesClocksPage.ScoreRow in
            let on = switch r.on {
            case let .violation(v): "违规 \(text.violation(v))"
            case let .outcome(o): "结果 \(text.outcome(o))"
            }
            let person = switch r.person {
            case .responsible: "责任人"
            case let .field(f): text.field(f)
            }
            return .init(id: r.id, on: on, when: r.when.isEmpty ? "" : text.conditions(r.when),
                         unit: RulesText.points(r.unitPoints), person: r.personPoints == 0 ? "0" : "\(RulesText.points(r.personPoints))（\(person)）",
                         at: Self.source(r.location))
        }
        let thresholds = scoring.thresholds.map { t in
            let period = switch t.period { case .month: "每月"; case .quarter: "每季度"; case .year: "每年" }
            return RulesClocksPage.ThresholdRow(
                id: t.id, subject: t.subject == .person ? "个人" : "单位", period: period,
                points: RulesText.points(t.points), penalty: scoring.penalties.first { $0.id == t.penalty }?.name ?? t.penalty,
                at: Self.source(t.location))
        }
        let page = RulesClocksPage(
            chrome: chrome("规则：时限与考核", reader, current: "rules"), subnav: .make(current: "clocks"), clocks: clocks,
            baseline: RulesText.points(scoring.baseline), scores: scores, penalties: scoring.penalties.map(\.name),
            hasPenalties: !scoring.penalties.isEmpty, thresholds: thresholds, hasThresholds: !thresholds.isEmpty)
        return Self.html(pages.render(page, "rules-clocks"))
    }

    // MARK: 工作日历

    @Sendable func rulesCalendar(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader)
        let calendar = engine.planner.calendar
        let year: Int
        if let raw = request.uri.queryParameters["year"].map(String.init), !raw.isEmpty {
            guard let y = Int(raw), (1900...2200).contains(y) else { throw ConsoleError(.badRequest, "年份无效：请填写 1900–2200 之间的年份。") }
            year = y
        } else {
            year = calendar.localDate(of: api.now()).year
        }
        var named: [RulesCalendarPage.Named] = []
        let months = (1...12).map { m -> RulesCalendarPage.Month in
            let view = MonthView(year: year, month: m, calendar: calendar)
            named += view.namedDays.map { d in
                .init(date: "\(d.date.month)月\(d.date.day)日", weekday: "星期" + MonthText.weekdays[d.weekday - 1],
                      kind: d.kind == .adjustedWorkday ? "调休上班" : "放假", name: d.label.flatMap { $0.isEmpty ? nil : $0 } ?? d.name ?? "",
                      makeup: d.kind == .adjustedWorkday)
            }
            let weeks = view.weeks.map { week in
                RulesCalendarPage.Week(cells: week.map { day in
                    guard let day else { return .init(day: "", cls: "blank", title: nil, mark: nil, empty: true) }
                    let label = day.label.flatMap { $0.isEmpty ? nil : $0 } ?? day.name
                    let (cls, title): (String, String?) = switch day.kind {
                    case .working: ("working", nil)
                    case .weekend: ("weekend", "周末")
                    case .holiday: ("holiday", "\(label ?? "节假日")（放假）")
                    case .adjustedWorkday: ("makeup", "\(label ?? "")调休上班")
                    }
                    return .init(day: String(day.date.day), cls: cls, title: title, mark: MonthText.mark(day.kind), empty: false)
                })
            }
            return .init(id: "m\(m)", title: "\(m)月", weeks: weeks)
        }
        let coverage = calendar.coverage(ofYear: year)
        let hours = engine.pack.calendar.businessHours.map { String(format: "%02d:%02d–%02d:%02d", $0.start / 60, $0.start % 60, $0.end / 60, $0.end % 60) }
        let weekend = engine.pack.calendar.weekend.sorted().map { "星期" + MonthText.weekdays[$0 - 1] }
        let page = RulesCalendarPage(
            chrome: chrome("规则：工作日历 \(year)年", reader, current: "rules"), subnav: .make(current: "calendar"),
            year: year, prev: year - 1, next: year + 1, coverage: CoverageText.label(coverage),
            warning: CoverageText.meaning(coverage, year: year), advice: CoverageText.advice(coverage, year: year),
            hours: hours.joined(separator: "，"), weekend: weekend.joined(separator: "、"), months: months,
            named: named, hasNamed: !named.isEmpty)
        return Self.html(pages.render(page, "rules-calendar"))
    }

    // MARK: 试算

    /// The intake form's controls, none required: a try may leave out what routing does not test.
    func tryControls(_ values: [String: String]) -> [FieldControl] {
        intakeFields.map { f in
            var c = control(f, value: values[f.id])
            c.required = false
            if c.isSelect, let i = c.options.firstIndex(where: { $0.id == "" }) { c.options[i].label = "（不填）" }
            return c
        }
    }

    /// `2026-10-13T18:00` for a datetime-local control, in the pack's zone.
    func localInput(_ d: Date) -> String {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = zone
        let p = c.dateComponents([.year, .month, .day, .hour, .minute], from: d)
        return String(format: "%04d-%02d-%02dT%02d:%02d", p.year!, p.month!, p.day!, p.hour!, p.minute!)
    }

    /// A `datetime-local` value (`2026-10-13T18:00`, or with a space) in the pack's zone, or ISO-8601.
    func parseLocalTime(_ raw: String) -> Date? {
        if let d = ISO8601.parse(raw) { return d }
        let parts = raw.replacingOccurrences(of: " ", with: "T").split(separator: "T")
        guard parts.count == 2 else { return nil }
        let d = parts[0].split(separator: "-").compactMap { Int($0) }
        let h = parts[1].split(separator: ":").compactMap { Int($0) }
        guard d.count == 3, h.count >= 2, (1...12).contains(d[1]), (1...31).contains(d[2]), (0...23).contains(h[0]), (0...59).contains(h[1])
        else { return nil }
        var c = Calendar(identifier: .gregorian)
        c.timeZone = zone
        return c.date(from: DateComponents(year: d[0], month: d[1], day: d[2], hour: h[0], minute: h[1]))
    }

    @Sendable func rulesTryPage(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader)
        let page = RulesTryPage(chrome: chrome("规则：试算", reader, current: "rules"), subnav: .make(current: "try"),
                                fields: tryControls([:]), at: localInput(api.now()), result: nil)
        return Self.html(pages.render(page, "rules-try"))
    }

    /// Runs the routing table and the clocks on the typed fields: what intake would decide, nothing written.
    @Sendable func rulesTryPost(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader)
        let form = try await self.form(request)
        var fields: [String: String] = [:]
        for f in intakeFields { if let v = form.text(f.id) { fields[f.id] = engineValue(f, v) } }
        let rawAt = form.text("at") ?? ""
        func refuse(_ message: String) -> Response {
            let page = RulesTryPage(chrome: chrome("规则：试算", reader, current: "rules", error: message), subnav: .make(current: "try"),
                                    fields: tryControls(form.values(intakeFields)), at: rawAt, result: nil)
            return Self.html(pages.render(page, "rules-try"), status: .unprocessableContent)
        }
        let at: Date
        if rawAt.isEmpty { at = api.now() } else {
            guard let parsed = parseLocalTime(rawAt) else { return refuse("时间无效：请按 2026-10-13 18:00 的格式填写。") }
            at = parsed
        }
        let explanation: CaseExplanation
        let explainer: Explainer
        do {
            explainer = try Explainer(pack: engine.pack)
            explanation = try explainer.explain(fields: fields, at: at)
        } catch let e as KesuError {
            return refuse(wording.message(e))
        }
        let page = RulesTryPage(chrome: chrome("规则：试算", reader, current: "rules"), subnav: .make(current: "try"),
                                fields: tryControls(form.values(intakeFields)), at: localInput(at),
                                result: tryResult(explanation, explainer: explainer, fields: fields, at: at))
        return Self.html(pages.render(page, "rules-try"))
    }

    func tryResult(_ x: CaseExplanation, explainer: Explainer, fields: [String: String], at: Date) -> RulesTryPage.Result {
        let pack = engine.pack
        let text = rulesText
        func location(_ id: String) -> String { pack.routing.first { $0.id == id }.map { Self.source($0.location) } ?? "" }
        let skipped = x.routing.skipped.map { s in
            RulesTryPage.Skipped(id: s.id, name: s.name, why: s.misses.isEmpty ? s.reasons.joined(separator: "；") : s.misses.map(text.miss).joined(separator: "；"),
                                 at: location(s.id))
        }
        let started = Dictionary(x.clocks.map { ($0.run.clock, $0) }, uniquingKeysWith: { a, _ in a })
        let clocks = pack.clocks.map { c -> RulesTryPage.ClockResult in
            let failing = c.when.filter { !$0.holds(on: fields) }
            let atIntake = c.start.contains(IntakeDef.transitionID)
            var note: String?
            var walk: DueExplanation?
            if let run = started[c.id] {
                walk = run.initial
            } else if !failing.isEmpty {
                note = "不计时：" + failing.map { text.miss(.condition($0, actual: fields[$0.field])) }.joined(separator: "；")
            } else if !atIntake {
                // Not started at intake: show when it would fall due if started at the tried time, to read the calendar.
                note = "登记时不开始计时，在“\(text.steps(c.start))”时开始；下面是假如在受理时间开始计时的到期时间"
                walk = try? explainer.calendar.explainDue(from: at, length: c.length)
            }
            let days = (walk?.days ?? []).map(Self.day)
            return .init(name: c.name, length: text.length(c.length), starts: started[c.id] != nil, note: note,
                         due: walk.map { time($0.due) }, calendar: walk.map { CoverageText.mark(explainer.calendar.coverage(of: $0)) } ?? "",
                         days: days, hasWalk: !days.isEmpty, at: Self.source(c.location))
        }
        let matched = x.routing.matched
        return .init(at: time(at), unit: x.routing.unit.map { pack.unit($0)?.name ?? $0 }, ruleID: matched?.id, ruleName: matched?.name ?? "",
                     ruleAt: matched.map { location($0.id) } ?? "", skipped: skipped, hasSkipped: !skipped.isEmpty, clocks: clocks)
    }

    static func day(_ d: ExplainedDay) -> CasePage.Day {
        let kind: String = switch d.kind {
        case .working: "工作日"
        case .weekend: "周末"
        case let .holiday(name, label): "节假日（\(label.isEmpty ? name : label)）"
        case let .adjustedWorkday(name, label): "调休上班（\(label.isEmpty ? name : label)）"
        }
        return .init(date: d.date.description, weekday: MonthText.weekdays[max(0, min(6, d.weekday - 1))], kind: kind,
                     role: dayRole(d.role.rawValue), ordinal: d.ordinal.map { "第\($0)个工作日" } ?? "", due: d.isDueDay)
    }
}

extension FormBody {
    /// The posted values of these fields, as typed (to fill the form again).
    func values(_ fields: [FormFieldView]) -> [String: String] {
        var out: [String: String] = [:]
        for f in fields { if let v = text(f.id) { out[f.id] = v } }
        return out
    }
}

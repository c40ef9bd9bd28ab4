import Foundation
import KesuKernel

/// Builds the views of cases for one reader at one instant. Every front end uses this one
/// builder, so the CLI, the API and the console show the same thing: the case under the rules it
/// runs under (a case pinned to an older pack offers that pack's transitions), masked for the
/// reader, with names beside ids.
public struct CaseViewBuilder: Sendable {
    public let engine: Engine
    /// Nil for the operator (the CLI without `--as`), who sees everything and may take every transition.
    public let viewer: Principal?
    /// Decides `overdue`.
    public let now: Date

    public init(engine: Engine, viewer: Principal?, now: Date) {
        self.engine = engine; self.viewer = viewer; self.now = now
    }

    var pack: RulePack { engine.pack }
    var zone: TimeZone { engine.planner.calendar.timeZone }
    func time(_ d: Date) -> ViewTime { ViewTime(d, zone: zone) }
    func time(_ d: Date?) -> ViewTime? { d.map(time) }

    /// Whether personal data is masked for this reader.
    public var masks: Bool { viewer.map { !$0.has(.personalData) } ?? false }

    /// The case under its own rules (the planner the engine keeps for its pack version; the pack
    /// in force if those rules cannot be had, so a reader still sees the case).
    public func view(_ raw: CaseState, events: [Event]? = nil) async -> CaseView {
        let rules = (try? await engine.planner(for: raw)) ?? engine.planner
        return view(raw, events: events, rules: rules)
    }

    public func view(_ raw: CaseState, events: [Event]?, rules: Planner) -> CaseView {
        let s = masks ? raw.redacted(for: viewer!, pack: pack) : raw
        let own = rules.pack
        let walks = events.map { dueWalks(events: $0, rules: rules) } ?? [:]
        return CaseView(
            id: s.id, number: s.number, state: s.state, stateName: own.state(s.state)?.name ?? s.state,
            handlingUnit: s.handlingUnit, handlingUnitName: s.handlingUnit.map { own.unit($0)?.name ?? $0 },
            routingRule: s.routingRule, assignee: s.assignee, assigneeName: s.assignee.map { own.person($0)?.name ?? $0 },
            version: s.version, openedAt: time(s.openedAt), updatedAt: time(s.updatedAt), closedAt: time(s.closedAt),
            fields: s.fields, fieldLabels: labels(s.fields, pack: own),
            clocks: s.clocks.values.sorted { $0.run.clock < $1.run.clock }.map { c in
                ClockView(
                    id: c.run.clock, name: own.clock(c.run.clock)?.name ?? c.run.clock, run: c.run.run, status: c.status.rawValue,
                    startedAt: time(c.startedAt), dueAt: time(c.dueAt), stoppedAt: time(c.stoppedAt), late: c.late,
                    overdue: c.status == .running && c.dueAt <= now, extensions: c.extensions.count,
                    dueCalendar: rules.calendar.coverage(from: c.startedAt, to: c.dueAt),
                    dueWalk: c.status == .stopped ? nil : walks[c.run],
                    extensionRequest: c.pendingRequest.map { r in
                        let (days, hours): (Int?, Double?) = switch r.length {
                        case let .workingDays(n, _): (n, nil)
                        case let .workingMinutes(m): (nil, Double(m) / 60)
                        }
                        return ExtensionRequestView(days: days, hours: hours, reason: r.reason, requestedBy: r.requester,
                                                    requestedByName: own.person(r.requester)?.name ?? r.requester, requestedAt: time(r.at))
                    })
            },
            overdue: !s.isClosed && (s.earliestDue.map { $0 <= now } ?? false),
            violations: s.violations.map(\.id), outcomes: s.outcomes,
            attachments: s.attachments.map { a in
                AttachmentView(name: a.fileName, mediaType: a.mediaType, size: a.size, sizeText: AttachmentLimits.sizeText(a.size),
                               sha256: a.sha256, addedAt: time(a.addedAt), addedBy: a.addedBy, addedByName: own.person(a.addedBy)?.name ?? a.addedBy)
            },
            availableTransitions: s.isClosed ? [] : rules.available(for: raw).map { transition($0, rules: rules, handlingUnit: raw.handlingUnit) },
            packVersion: s.packVersion,
            events: events.map { history($0) })
    }

    /// The history as the reader may see it.
    public func history(_ events: [Event]) -> [HistoryEntryView] {
        let personal = PersonalData.personalFields(in: pack)
        return events.map { raw in
            let e = masks ? raw.redacted(personalFields: personal, pack: pack) : raw
            return HistoryEntryView(
                seq: e.seq, at: time(e.at), actor: e.actor,
                actorName: e.actor == Event.systemActor ? Event.systemActor : (pack.person(e.actor)?.name ?? e.actor),
                type: e.type, ruleID: e.ruleID, packVersion: e.packVersion, body: e.body)
        }
    }

    /// A listing row. Its due time's calendar is read on the pack in force's calendar, whose dated days a pinned
    /// case counts on too, for the due time's year (a summary does not say when the clock started; coverage only
    /// weakens with time, so the due time's year is the weakest one counted through).
    public func row(_ s: CaseSummary) -> CaseRowView {
        CaseRowView(
            id: s.id, number: s.number, state: s.state, stateName: pack.state(s.state)?.name ?? s.state,
            handlingUnit: s.handlingUnit, handlingUnitName: s.handlingUnit.map { pack.unit($0)?.name ?? $0 },
            kind: s.kind, category: s.category, level: s.level, channel: s.channel,
            openedAt: time(s.openedAt), updatedAt: time(s.updatedAt), closedAt: time(s.closedAt), earliestDue: time(s.earliestDue),
            earliestDueCalendar: s.earliestDue.map { engine.planner.calendar.coverage(from: $0, to: $0) },
            overdue: s.closedAt == nil && (s.earliestDue.map { $0 <= now } ?? false), version: s.version, packVersion: s.packVersion)
    }

    public func list(_ rows: [CaseSummary], total: Int, limit: Int, offset: Int) -> CaseListView {
        CaseListView(cases: rows.map(row), total: total, limit: limit, offset: offset)
    }

    // MARK: Parts

    func transition(_ t: TransitionDef, rules: Planner, handlingUnit: String?) -> TransitionView {
        let allowed = viewer.map { rules.mayAct($0.person, roles: t.roles, handlingUnit: handlingUnit) } ?? true
        let fields = t.requires.map { formField($0, required: true, pack: rules.pack) }
            + t.accepts.filter { !t.requires.contains($0) }.map { formField($0, required: false, pack: rules.pack) }
        return TransitionView(id: t.id, name: t.name, allowed: allowed, fields: fields)
    }

    /// One field as a form control: its name, type and the values it takes (the intake form, a transition's form).
    public func formField(_ id: String, required: Bool, pack: RulePack) -> FormFieldView {
        let def = pack.fields.first { $0.id == id }
        let type: String
        switch CaseField.kind(of: id) {
        case .text?: type = "text"
        case .datetime?: type = "datetime"
        case .person?: type = "person"
        case .unit?: type = "unit"
        case .some: type = "choice"
        case nil: type = def?.type.rawValue ?? "text"
        }
        let choices = (pack.allowedValues(of: id) ?? []).map {
            FormFieldView.Choice(id: $0, name: pack.label(field: id, value: $0) ?? $0)
        }
        return FormFieldView(id: id, name: Self.fieldName(id, pack: pack), type: type, required: required, choices: choices)
    }

    /// Names of the built-in fields (packs name their own in `fields:`).
    public static let builtInNames: [String: String] = [
        "kind": "类型", "category": "分类", "level": "等级", "complainant_type": "客户类型", "channel": "渠道",
        "region": "区域", "subject": "主题", "description": "内容", "complainant_name": "客户姓名",
        "complainant_phone": "联系电话", "respondent": "被投诉对象", "respondent_person": "被投诉人",
        "handling_unit": "承办单位", "assignee": "承办人",
    ]

    /// A field's name as people read it: the pack's, or the built-in one.
    public static func fieldName(_ id: String, pack: RulePack) -> String {
        pack.fields.first { $0.id == id }?.name ?? builtInNames[id] ?? id
    }

    func labels(_ fields: [String: String], pack: RulePack) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in fields { if let l = pack.label(field: k, value: v) { out[k] = l } }
        return out
    }

    /// The walk to each running or paused clock's current due time: from the start, the last
    /// resume or the last extension, whichever set it.
    func dueWalks(events: [Event], rules: Planner) -> [ClockRun: DueWalkView] {
        guard let explainer = try? Explainer(pack: rules.pack) else { return [:] }
        let explanation = explainer.explain(events: events, now: now, current: pack)
        var out: [ClockRun: DueWalkView] = [:]
        for c in explanation.clocks where c.status != .stopped {
            var chosen: (DueExplanation, String, Date)? = c.initial.map { ($0, "start", c.startedAt) }
            for change in c.changes {
                switch change {
                case let .pause(p): if let w = p.resume, let at = p.resumedAt { chosen = (w, "resume", at) }
                case let .extended(x): if let w = x.walk { chosen = (w, "extension", x.oldDue) }
                }
            }
            guard let (walk, basis, from) = chosen else { continue }
            let years = rules.calendar.years(of: walk).map { CalendarYearView(year: $0, calendar: rules.calendar.coverage(ofYear: $0)) }
            out[c.run] = DueWalkView(
                from: time(from), basis: basis, countFrom: time(walk.countFrom), due: time(walk.due),
                dueCalendar: rules.calendar.coverage(of: walk), calendarYears: years,
                days: walk.days.map { d in
                    let (kind, label): (String, String?) = switch d.kind {
                    case .working: ("working", nil)
                    case .weekend: ("weekend", nil)
                    case let .holiday(name, label): ("holiday", label.isEmpty ? name : label)
                    case let .adjustedWorkday(name, label): ("adjusted_workday", label.isEmpty ? name : label)
                    }
                    return DueDayView(date: d.date.description, weekday: d.weekday, kind: kind, label: label, role: d.role.rawValue,
                                      ordinal: d.ordinal, isDueDay: d.isDueDay)
                })
        }
        return out
    }

}

import Foundation
import KesuKernel
import Yams

/// Building the model from the sections, one reader per file.
extension LoadSession {
    mutating func build() -> RulePack? {
        let packLocation = SourceLocation(file: packFile, line: 1, column: 1)

        var info = PackInfo(id: "", name: "", caseNumberPrefix: "", location: packLocation)
        if let s = sections["pack"] {
            info = readInfo(s.reader, s.value) ?? info
        } else if filesRead.contains(packFile) == false {
            // pack.yaml missing: already reported.
        }

        var calendar = CalendarRules(businessHours: [], location: packLocation)
        if let s = sections["calendar"] {
            calendar = readCalendar(s.reader, s.value) ?? calendar
        } else {
            sink.error(packLocation, "missing section 'calendar' (time zone, business hours, holidays)")
        }

        // A list section's items, merged through the packs extended, each read with its own file's reader.
        func list<T>(_ name: String, _ what: String, _ item: (NodeReader, Node) -> T?) -> [T] {
            mergedList(name, what).compactMap { item($0.reader, $0.node) }
        }
        let roles = list("roles", "role") { r, n in readRole(r, n) }
        let units = list("units", "unit") { r, n in readUnit(r, n) }
        let people = list("people", "person") { r, n in readPerson(r, n) }
        let kinds = list("kinds", "kind") { r, n in readChoice(r, n, "kind") }
        let levels = list("levels", "level") { r, n in readChoice(r, n, "level") }
        let categories = list("categories", "category") { r, n in readCategory(r, n) }
        let complainantTypes = list("complainant_types", "complainant type") { r, n in readChoice(r, n, "complainant type") }
        let channels = list("channels", "channel") { r, n in readChoice(r, n, "channel") }
        let regions = list("regions", "region") { r, n in readRegion(r, n) }
        let fields = list("fields", "field") { r, n in readField(r, n) }
        let routing = list("routing", "routing rule") { r, n in readRoute(r, n) }
        let clocks = list("clocks", "clock") { r, n in readClock(r, n) }
        let ladders = list("ladders", "ladder") { r, n in readLadder(r, n) }

        var procedure = ProcedureDef(initialState: "", states: [], intake: IntakeDef(roles: [], requires: [], location: packLocation),
                                     transitions: [], location: packLocation)
        if layers.contains(where: { $0.sections["procedure"] != nil }) {
            if let m = mergedSection("procedure", "section 'procedure'", allowed: PackVocabulary.keys("procedure"),
                                     required: ["initial", "states", "intake", "transitions"],
                                     idLists: ["states": "state", "transitions": "transition"]) {
                procedure = readProcedure(m)
            }
        } else {
            sink.error(packLocation, "missing section 'procedure' (states, intake, transitions)")
        }
        var scoring = ScoringDef(location: packLocation)
        if let m = mergedSection("scoring", "section 'scoring'",
                                 allowed: PackVocabulary.keys("scoring"), required: [],
                                 idLists: ["violations": "violation", "outcomes": "outcome", "rules": "scoring rule",
                                           "penalties": "penalty", "thresholds": "threshold"]) {
            scoring = readScoring(m)
        }

        var reporting = ReportingDef(location: packLocation)
        if let m = mergedSection("reporting", "section 'reporting'", allowed: PackVocabulary.keys("reporting"),
                                 required: [], idLists: ["reports": "periodic report"]) {
            reporting = readReporting(m)
        }

        var hasher = SHA256()
        for (path, bytes) in hashed.sorted(by: { $0.key < $1.key }) {
            hasher.update(Array(path.utf8))
            hasher.update([0])
            hasher.update(bytes)
        }
        let version = hasher.finalize().map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined()

        return RulePack(
            info: info, calendar: calendar, roles: roles, units: units, people: people, kinds: kinds, levels: levels,
            categories: categories, complainantTypes: complainantTypes, channels: channels, regions: regions,
            fields: fields, routing: routing, procedure: procedure, clocks: clocks, ladders: ladders, scoring: scoring,
            reporting: reporting, version: version)
    }

    // MARK: pack, calendar

    func readInfo(_ r: NodeReader, _ node: Node) -> PackInfo? {
        guard let m = r.mapping(node, "section 'pack'", allowed: PackVocabulary.keys("pack"),
                                required: ["id", "name", "case_number_prefix"]) else { return nil }
        let gaps = m.oneOf("case_number_gaps", CaseNumbering.Gaps.self,
                           choices: CaseNumbering.Gaps.allCases.map(\.rawValue)) ?? .gapless
        return PackInfo(id: m.string("id") ?? "", name: m.string("name") ?? "", label: m.string("label") ?? "",
                        caseNumberPrefix: m.string("case_number_prefix") ?? "", caseNumberGaps: gaps, location: m.location)
    }

    static let weekdays: [String: Int] = [
        "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6, "sunday": 7,
        "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7,
    ]
    static let weekdayNames = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                               "mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    mutating func readCalendar(_ r: NodeReader, _ node: Node) -> CalendarRules? {
        guard let m = r.mapping(node, "section 'calendar'",
                                allowed: PackVocabulary.keys("calendar"))
        else { return nil }
        var cal = CalendarRules(businessHours: [], location: m.location)
        if let tz = m.string("time_zone") { cal.timeZone = tz }
        for item in m.list("business_hours") {
            guard let text = r.string(item, "a business-hours range") else { continue }
            if let range = Self.minuteRange(text) {
                cal.businessHours.append(range)
            } else {
                r.error(item, "bad business hours '\(text)': expected HH:MM-HH:MM, e.g. 08:30-12:00")
            }
        }
        if let weekendNode = m["weekend"], let items = r.list(weekendNode, "'weekend' of section 'calendar'") {
            cal.weekend = []
            for item in items {
                guard let name = r.string(item, "a weekday") else { continue }
                if let n = Self.weekdays[name.lowercased()] {
                    cal.weekend.insert(n)
                } else {
                    r.error(item, "unknown weekday '\(name)'" + Suggest.hint(for: name, in: Self.weekdayNames))
                }
            }
        }
        var official = Set<Int>()
        for item in m.list("include") {
            guard let rel = r.string(item, "an included calendar path") else { continue }
            let path = PathText.standardize(PathText.join(PathText.directory(of: r.file), rel))
            let relative = relativePath(of: rel, namedIn: r.file)
            guard source.exists(path) else {
                r.error(item, "included calendar '\(rel)' not found (looked for \(path))")
                continue
            }
            guard let text = readBytes(path: path, relative: relative, reportAt: r.location(item)),
                  let root = compose(text, file: path) else { continue }
            let cr = NodeReader(file: path, sink: sink)
            if NodeReader.isNull(root) { continue }
            guard let cm = cr.mapping(root, "calendar file", allowed: PackVocabulary.keys("calendar_file")) else { continue }
            _ = cm.string("region")
            let holidays = cm.list("holidays").compactMap { readDay(cr, $0) }
            let workdays = cm.list("workdays").compactMap { readDay(cr, $0) }
            let years = Set((holidays + workdays).map(\.date.year))
            // A draft (`kesu calendar draft`) covers its years only provisionally until the official notice replaces
            // it; a supplement (a region's extra days) adds days to a year some other file covers.
            if cm.bool("provisional") {
                cal.provisionalYears.formUnion(years)
            } else if !cm.bool("supplement") {
                official.formUnion(years)
            }
            cal.holidays += holidays
            cal.workdays += workdays
        }
        let ownHolidays = m.list("holidays").compactMap { readDay(r, $0) }
        let ownWorkdays = m.list("workdays").compactMap { readDay(r, $0) }
        official.formUnion((ownHolidays + ownWorkdays).map(\.date.year))
        cal.holidays += ownHolidays
        cal.workdays += ownWorkdays
        cal.officialYears = official
        return cal
    }

    func readDay(_ r: NodeReader, _ node: Node) -> DatedDay? {
        guard let m = r.mapping(node, "a dated day", allowed: PackVocabulary.keys("dated_day"), required: ["date", "name"]),
              let text = m.string("date") else { return nil }
        guard let date = LocalDate(text) else {
            r.sink.error(m.valueLocation("date"), "impossible date '\(text)': expected a real YYYY-MM-DD date")
            return nil
        }
        return DatedDay(date: date, name: m.string("name") ?? "", label: m.string("zh") ?? "", location: m.location)
    }

    /// "08:30-12:00" → minutes after midnight; 24:00 allowed as an end.
    static func minuteRange(_ text: String) -> MinuteRange? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = minutes(parts[0]), let b = minutes(parts[1]) else { return nil }
        return MinuteRange(start: a, end: b)
    }

    static func minutes(_ text: Substring) -> Int? {
        let hm = text.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
        guard hm.count == 2, hm[0].count == 2, hm[1].count == 2, let h = Int(hm[0]), let m = Int(hm[1]),
              (0...24).contains(h), (0..<60).contains(m), h < 24 || m == 0 else { return nil }
        return h * 60 + m
    }

    // MARK: organisation and classification

    func readChoice(_ r: NodeReader, _ node: Node, _ what: String) -> Choice? {
        guard let m = r.mapping(node, what, allowed: PackVocabulary.keys("choice"), required: ["id", "name"]),
              let id = m.string("id") else { return nil }
        return Choice(id: id, name: m.string("name") ?? "", location: m.location)
    }

    func readRole(_ r: NodeReader, _ node: Node) -> RoleDef? {
        guard let m = r.mapping(node, "role", allowed: PackVocabulary.keys("role"), required: ["id", "name"]),
              let id = m.string("id") else { return nil }
        let scope = m.oneOf("scope", RoleDef.Scope.self, choices: ["all", "handling_unit"]) ?? .all
        var permissions: Set<Permission> = []
        if let node = m["permissions"], let items = r.list(node, m.label("permissions")) {
            for item in items {
                guard let p = r.oneOf(item, "permission", Permission.self,
                                      choices: Permission.allCases.map(\.rawValue)) else { continue }
                if permissions.contains(p) { r.sink.warning(r.location(item), "role '\(id)' lists permission '\(p.rawValue)' twice") }
                permissions.insert(p)
            }
        }
        return RoleDef(id: id, name: m.string("name") ?? "", scope: scope, readOnly: m.bool("read_only"),
                       permissions: permissions, location: m.location)
    }

    func readUnit(_ r: NodeReader, _ node: Node) -> UnitDef? {
        guard let m = r.mapping(node, "unit", allowed: PackVocabulary.keys("unit"), required: ["id", "name"]),
              let id = m.string("id") else { return nil }
        return UnitDef(id: id, name: m.string("name") ?? "", isCenter: m.bool("center"), liaison: m.string("liaison"),
                       head: m.string("head"), location: m.location)
    }

    func readPerson(_ r: NodeReader, _ node: Node) -> PersonDef? {
        guard let m = r.mapping(node, "person", allowed: PackVocabulary.keys("person"), required: ["id", "name", "unit"]),
              let id = m.string("id") else { return nil }
        return PersonDef(id: id, name: m.string("name") ?? "", unit: m.string("unit") ?? "", roles: m.strings("roles"),
                         location: m.location)
    }

    func readCategory(_ r: NodeReader, _ node: Node) -> CategoryDef? {
        guard let m = r.mapping(node, "category", allowed: PackVocabulary.keys("category"), required: ["id", "name"]),
              let id = m.string("id") else { return nil }
        return CategoryDef(id: id, name: m.string("name") ?? "", kinds: m.strings("kinds"), keywords: m.strings("keywords"),
                           location: m.location)
    }

    func readRegion(_ r: NodeReader, _ node: Node) -> RegionDef? {
        guard let m = r.mapping(node, "region", allowed: PackVocabulary.keys("region"), required: ["id", "name"]),
              let id = m.string("id") else { return nil }
        return RegionDef(id: id, name: m.string("name") ?? "", unit: m.string("unit"), location: m.location)
    }

    func readField(_ r: NodeReader, _ node: Node) -> FieldDef? {
        guard let m = r.mapping(node, "field", allowed: PackVocabulary.keys("field"), required: ["id", "name"]),
              let id = m.string("id") else { return nil }
        let type = m.oneOf("type", FieldDef.FieldType.self, choices: FieldDef.FieldType.allCases.map(\.rawValue)) ?? .text
        let values = m.list("values").compactMap { readChoice(r, $0, "value of field '\(id)'") }
        if type != .choice, m.has("values") {
            r.sink.error(m.keyLocation("values"), "field '\(id)' has values but is not of type choice")
        }
        if type != .text, m.has("multiline") {
            r.sink.error(m.keyLocation("multiline"), "field '\(id)' is multiline but not of type text")
        }
        return FieldDef(id: id, name: m.string("name") ?? "", type: type, values: values, personal: m.bool("personal"),
                        multiline: m.bool("multiline"), location: m.location)
    }

    // MARK: conditions, routing

    func readConditions(_ r: NodeReader, _ node: Node?) -> [FieldCondition] {
        guard let node, let m = r.mapping(node, "'when'", allowed: Array(Set(r.keys(of: node)))) else { return [] }
        var out: [FieldCondition] = []
        if case let .mapping(raw) = node {
            for (key, value) in raw where NodeReader.isNull(value) {
                r.error(key, "condition on '\(key.scalar?.string ?? "")' has no value")
            }
        }
        for field in m.order {
            guard let value = m[field] else { continue }
            let loc = m.keyLocation(field)
            switch value {
            case .scalar:
                if let v = r.string(value, "condition on '\(field)'") {
                    out.append(FieldCondition(field: field, test: .equals(v), location: loc))
                }
            case .mapping:
                guard let t = r.mapping(value, "condition on '\(field)'", allowed: PackVocabulary.keys("condition"))
                else { continue }
                guard t.order.count == 1, let op = t.order.first else {
                    r.error(value, "condition on '\(field)' needs exactly one of equals, one_of, not_one_of, missing")
                    continue
                }
                switch op {
                case "equals": if let v = t.string("equals") { out.append(FieldCondition(field: field, test: .equals(v), location: loc)) }
                case "one_of": out.append(FieldCondition(field: field, test: .oneOf(t.strings("one_of")), location: loc))
                case "not_one_of": out.append(FieldCondition(field: field, test: .notOneOf(t.strings("not_one_of")), location: loc))
                default:
                    if let t = t["missing"].flatMap({ r.bool($0, "'missing' of condition on '\(field)'") }) {
                        out.append(FieldCondition(field: field, test: .missing(t), location: loc))
                    }
                }
            default:
                r.error(value, "expected a value or {equals|one_of|not_one_of|missing} for condition on '\(field)', found \(NodeReader.describe(value))")
            }
        }
        return out
    }

    func readRoute(_ r: NodeReader, _ node: Node) -> RouteRule? {
        guard let m = r.mapping(node, "routing rule", allowed: PackVocabulary.keys("route"), required: ["id"]),
              let id = m.string("id") else { return nil }
        let when = readConditions(r, m["when"])
        var target: RouteRule.Target?
        switch (m.has("unit"), m.has("unit_from")) {
        case (true, true):
            r.error(node, "routing rule '\(id)' has both 'unit' and 'unit_from'; give one")
        case (false, false):
            r.error(node, "routing rule '\(id)' needs 'unit' (a unit id) or 'unit_from: region'")
        case (true, false):
            if let u = m.string("unit") { target = .unit(u) }
        case (false, true):
            if let from = m.string("unit_from") {
                if from == "region" { target = .regionUnit } else {
                    r.sink.error(m.valueLocation("unit_from"), "unknown unit_from '\(from)'" + Suggest.hint(for: from, in: ["region"]))
                }
            }
        }
        guard let target else { return nil }
        return RouteRule(id: id, name: m.string("name") ?? "", when: when, target: target, location: m.location)
    }

    // MARK: procedure

    /// The procedure, its states and transitions merged by id through the packs extended (`mergedSection`).
    func readProcedure(_ m: MergedSection) -> ProcedureDef {
        let states: [StateDef] = m.items("states").compactMap { item in
            let (r, n) = (item.reader, item.node)
            guard let s = r.mapping(n, "state", allowed: PackVocabulary.keys("state"), required: ["id", "name"]),
                  let id = s.string("id") else { return nil }
            return StateDef(id: id, name: s.string("name") ?? "", isFinal: s.bool("final"),
                            worklist: s.oneOf("worklist", Worklist.self, choices: Worklist.allCases.map(\.rawValue)), location: s.location)
        }
        var intake = IntakeDef(roles: [], requires: [], location: m.location)
        if let e = m["intake"], case let (r, n) = (e.reader, e.value),
           let i = r.mapping(n, "'intake'", allowed: PackVocabulary.keys("intake"), required: ["roles"]) {
            intake = IntakeDef(roles: i.strings("roles"), requires: i.strings("requires"), accepts: i.strings("accepts"),
                               route: i.bool("route"), location: i.location)
        }
        let transitions = m.items("transitions").compactMap { readTransition($0.reader, $0.node) }
        return ProcedureDef(initialState: m.string("initial") ?? "", states: states, intake: intake,
                            transitions: transitions, location: m.location)
    }

    func readTransition(_ r: NodeReader, _ node: Node) -> TransitionDef? {
        guard let m = r.mapping(node, "transition",
                                allowed: PackVocabulary.keys("transition"),
                                required: ["id", "from", "roles", "to"]),
              let id = m.string("id") else { return nil }
        var to: [GuardedTarget] = []
        if let t = m["to"] {
            switch t {
            case .scalar:
                if let s = r.string(t, "'to' of transition '\(id)'") { to = [GuardedTarget(state: s, location: r.location(t))] }
            case .sequence:
                to = r.list(t, "'to'")?.compactMap { n in
                    guard let g = r.mapping(n, "target of transition '\(id)'", allowed: PackVocabulary.keys("target"), required: ["state"]),
                          let state = g.string("state") else { return nil }
                    return GuardedTarget(when: readConditions(r, g["when"]), state: state, outcomes: g.strings("outcomes"),
                                         location: g.location)
                } ?? []
            default:
                r.error(t, "expected a state id or a list of targets for 'to' of transition '\(id)', found \(NodeReader.describe(t))")
            }
        }
        return TransitionDef(
            id: id, name: m.string("name") ?? id, from: m.strings("from"), to: to, roles: m.strings("roles"),
            when: readConditions(r, m["when"]), requires: m.strings("requires"), accepts: m.strings("accepts"),
            route: m.bool("route"), assignActor: m.bool("assign_actor"), adoptCurrentRules: m.bool("adopt_current_rules"),
            location: m.location)
    }

    // MARK: clocks, ladders

    func readClock(_ r: NodeReader, _ node: Node) -> ClockDef? {
        guard let m = r.mapping(node, "clock",
                                allowed: PackVocabulary.keys("clock"),
                                required: ["id", "start"]),
              let id = m.string("id") else { return nil }
        let lengthKeys = ["working_days", "working_hours", "working_minutes"].filter(m.has)
        var length: ClockLength?
        if lengthKeys.count != 1 {
            r.error(node, "clock '\(id)' needs exactly one of working_days, working_hours, working_minutes"
                + (lengthKeys.isEmpty ? "" : " (found \(lengthKeys.joined(separator: ", ")))"))
        } else if let n = m.int("working_days") {
            let ends = m.oneOf("ends", ClockLength.DayEnd.self, choices: ["end_of_day", "same_time"]) ?? .endOfDay
            length = .workingDays(n, ends)
        } else if let h = m.number("working_hours") {
            length = .workingMinutes(Int((h * 60).rounded()))
        } else if let mins = m.int("working_minutes") {
            length = .workingMinutes(mins)
        }
        if m.has("ends"), !m.has("working_days") {
            r.sink.error(m.keyLocation("ends"), "'ends' applies only to working_days")
        }
        var ext: ExtensionRule?
        if let e = m["extension"], let x = r.mapping(e, "'extension' of clock '\(id)'",
                                                    allowed: PackVocabulary.keys("extension"),
                                                    required: ["approvers"]) {
            let keys = ["max_working_days", "max_working_hours"].filter(x.has)
            var maxLength: ClockLength?
            if keys.count != 1 {
                r.error(e, "extension of clock '\(id)' needs exactly one of max_working_days, max_working_hours")
            } else if let d = x.int("max_working_days") {
                maxLength = .workingDays(d, .endOfDay)
            } else if let h = x.number("max_working_hours") {
                maxLength = .workingMinutes(Int((h * 60).rounded()))
            }
            if let maxLength {
                ext = ExtensionRule(approvers: x.strings("approvers"), maxCount: x.int("max_count") ?? 1, maxLength: maxLength,
                                    allowLate: x.bool("allow_late"), location: x.location)
            }
        }
        let owner = m.oneOf("owner", ClockOwner.self, choices: ["handling_unit", "center"]) ?? .handlingUnit
        let responsible = m.oneOf("responsible", Responsible.self, choices: Responsible.allCases.map(\.rawValue)) ?? .assignee
        guard let length else { return nil }
        return ClockDef(
            id: id, name: m.string("name") ?? id, length: length, start: m.strings("start"), stop: m.strings("stop"),
            pause: m.strings("pause"), resume: m.strings("resume"), when: readConditions(r, m["when"]), owner: owner,
            responsible: responsible, violation: m.string("violation"), ladder: m.string("ladder"), extensionRule: ext,
            location: m.location)
    }

    func readLadder(_ r: NodeReader, _ node: Node) -> LadderDef? {
        guard let m = r.mapping(node, "ladder", allowed: PackVocabulary.keys("ladder"), required: ["id", "steps"]),
              let id = m.string("id") else { return nil }
        let steps: [LadderStep] = m.list("steps").compactMap { n in
            guard let s = r.mapping(n, "step of ladder '\(id)'", allowed: PackVocabulary.keys("ladder_step"),
                                    required: ["at"]),
                  let atNode = s["at"],
                  let a = r.mapping(atNode, "'at' of a step of ladder '\(id)'",
                                    allowed: PackVocabulary.keys("ladder_at")) else { return nil }
            var at: LadderStep.At?
            if a.order.count != 1 {
                r.error(atNode, "'at' needs exactly one of share, working_hours_after_due, working_minutes_after_due")
            } else if let x = a.number("share") {
                at = .share(x)
            } else if let h = a.number("working_hours_after_due") {
                at = .afterDue(minutes: Int((h * 60).rounded()))
            } else if let mins = a.int("working_minutes_after_due") {
                at = .afterDue(minutes: mins)
            }
            guard let at else { return nil }
            return LadderStep(at: at, remind: s.strings("remind"), escalateTo: s.strings("escalate_to"),
                              violation: s.string("violation"), location: s.location, violationLocation: s.keyLocation("violation"))
        }
        return LadderDef(id: id, steps: steps, location: m.location)
    }

    // MARK: scoring

    /// Scoring, its lists merged by id through the packs extended (`mergedSection`).
    func readScoring(_ m: MergedSection) -> ScoringDef {
        var def = ScoringDef(location: m.location)
        if let b = m.number("baseline") { def.baseline = b }
        def.violations = m.items("violations").compactMap { readChoice($0.reader, $0.node, "violation") }
        def.outcomes = m.items("outcomes").compactMap { readChoice($0.reader, $0.node, "outcome") }
        def.penalties = m.items("penalties").compactMap { readChoice($0.reader, $0.node, "penalty") }
        def.rules = m.items("rules").compactMap { item in
            let (r, n) = (item.reader, item.node)
            guard let s = r.mapping(n, "scoring rule", allowed: PackVocabulary.keys("scoring_rule"),
                                    required: ["id", "on"]),
                  let id = s.string("id"), let onNode = s["on"],
                  let o = r.mapping(onNode, "'on' of scoring rule '\(id)'", allowed: PackVocabulary.keys("scoring_on")) else { return nil }
            var on: ScoringRule.Trigger?
            if o.order.count != 1 {
                r.error(onNode, "'on' of scoring rule '\(id)' needs exactly one of violation, outcome")
            } else if let v = o.string("violation") {
                on = .violation(v)
            } else if let v = o.string("outcome") {
                on = .outcome(v)
            }
            guard let on else { return nil }
            var person = ScoringRule.PersonSource.responsible
            if let p = s.string("person_from"), p != "responsible" { person = .field(p) }
            return ScoringRule(id: id, on: on, when: readConditions(r, s["when"]), unitPoints: s.number("unit") ?? 0,
                               personPoints: s.number("person") ?? 0, person: person, location: s.location,
                               personLocation: s.keyLocation("person_from"))
        }
        def.thresholds = m.items("thresholds").compactMap { item in
            let (r, n) = (item.reader, item.node)
            guard let t = r.mapping(n, "threshold", allowed: PackVocabulary.keys("threshold"),
                                    required: ["id", "points", "penalty"]),
                  let id = t.string("id") else { return nil }
            let subject = t.oneOf("subject", PenaltyThreshold.Subject.self, choices: ["person", "unit"]) ?? .person
            let period = t.oneOf("period", PenaltyThreshold.Period.self, choices: ["month", "quarter", "year"]) ?? .quarter
            guard let points = t.number("points"), let penalty = t.string("penalty") else { return nil }
            return PenaltyThreshold(id: id, subject: subject, period: period, points: points, penalty: penalty, location: t.location)
        }
        if let p = m["penalty_procedure"] { def.penaltyProcedure = readPenaltyProcedure(p.reader, p.value) }
        return def
    }

    /// `penalty_procedure:` as a whole (a pack that extends another and gives it replaces the parent's).
    func readPenaltyProcedure(_ r: NodeReader, _ node: Node) -> PenaltyProcedure? {
        guard let m = r.mapping(node, "'penalty_procedure' of section 'scoring'", allowed: PackVocabulary.keys("penalty_procedure"),
                                required: ["decided_by"]) else { return nil }
        var appeal: PenaltyAppealRule?
        if let a = m["appeal"], let x = r.mapping(a, "'appeal' of penalty_procedure", allowed: PackVocabulary.keys("penalty_appeal"),
                                                  required: ["by", "within_working_days", "decided_by"]),
           let days = x.int("within_working_days") {
            appeal = PenaltyAppealRule(by: x.strings("by"), withinWorkingDays: days, decidedBy: x.strings("decided_by"),
                                       location: x.location)
        }
        return PenaltyProcedure(decidedBy: m.strings("decided_by"), appeal: appeal, location: m.location)
    }
}

extension NodeReader {
    /// The string keys of a mapping node (so a `when:` accepts any field name; fields are checked by the validator).
    func keys(of node: Node) -> [String] {
        guard case let .mapping(map) = node else { return [] }
        return map.keys.compactMap { $0.scalar?.string }
    }
}

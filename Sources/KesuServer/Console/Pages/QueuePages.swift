import Foundation
import Hummingbird
import KesuKernel
import KesuRendering
import KesuViews

/// 我的待办 / 本单位待办, the 审批 and 回访 work lists, and the 督办 overview.
extension Console {
    static let pageSize = 50

    /// The filters a queue page takes from its query string, read into a store query.
    struct QueueFilters {
        var mine = true
        var state: String?
        var unit: String?
        var category: String?
        var overdue = false
        var from: String?
        var until: String?
        var q: String?
        var page = 1

        init(_ request: Request) {
            let p = request.uri.queryParameters
            func v(_ k: String) -> String? {
                guard let s = p[Substring(k)].map(String.init)?.trimmingCharacters(in: .whitespaces), !s.isEmpty else { return nil }
                return s
            }
            mine = v("scope") != "unit"
            state = v("state"); unit = v("unit"); category = v("category"); overdue = v("overdue") == "1"
            from = v("from"); until = v("until"); q = v("q")
            page = max(1, min(1000, Int(v("page") ?? "1") ?? 1))
        }

        var queryString: String {
            var items: [(String, String)] = []
            if !mine { items.append(("scope", "unit")) }
            for (k, val) in [("state", state), ("unit", unit), ("category", category), ("from", from), ("until", until), ("q", q)] {
                if let val { items.append((k, val)) }
            }
            if overdue { items.append(("overdue", "1")) }
            return items.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        }
    }

    /// The filters as a store query (dates in the pack's zone; the phone only for readers who may see it).
    func baseQuery(_ f: QueueFilters, _ reader: Reader) throws -> CaseQuery {
        let pack = engine.pack
        var query = CaseQuery(openOnly: true, limit: Self.pageSize)
        query.order = .dueFirst
        if let s = f.state {
            guard pack.state(s) != nil else { throw ConsoleError(.badRequest, "没有状态“\(s)”") }
            query.state = s
        }
        if let u = f.unit {
            guard pack.unit(u) != nil else { throw ConsoleError(.badRequest, "没有单位“\(u)”") }
            query.unit = u
        }
        if let c = f.category {
            guard pack.allowedValues(of: "category")?.contains(c) ?? true else { throw ConsoleError(.badRequest, "没有分类“\(c)”") }
            query.category = c
        }
        if f.overdue { query.overdueAt = api.now() }
        query.openedFrom = try f.from.map { try day($0, "起始日期") }
        query.openedBefore = try f.until.map { try day($0, "截止日期").addingTimeInterval(86400) }
        if let q = f.q {
            // A phone is digits with separators only: a case number (YC-2026-000123) has letters and stays a text search.
            let phoneLike = q.allSatisfy { $0.isNumber || " +-()".contains($0) }
            if reader.principal.has(.personalData), phoneLike, let digits = PersonalData.normalisedPhone(q), digits.count >= 7 {
                query.phone = digits
            } else {
                query.text = q
            }
        }
        return query
    }

    /// `2026-10-13` at midnight in the pack's zone.
    func day(_ s: String, _ what: String) throws -> Date {
        let parts = s.split(separator: "-").compactMap { Int($0) }
        var c = Calendar(identifier: .gregorian)
        c.timeZone = zone
        guard parts.count == 3, let d = c.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])) else {
            throw ConsoleError(.badRequest, "\(what)“\(s)”不是日期，请写成 2026-10-13")
        }
        return d
    }

    /// The cases where the reader may take a step in `states`: with a role scoped to every case
    /// anywhere, with a unit-scoped role only in their unit. Earliest due first.
    func actionable(_ states: [String], _ reader: Reader, base: CaseQuery, excludeOthersAssigned: Bool) async throws -> (rows: [CaseSummary], capped: Bool) {
        let p = reader.principal
        let pack = engine.pack
        var anywhere: [String] = [], ownUnit: [String] = []
        for s in states {
            let roles = pack.procedure.transitions.filter { $0.from.contains(s) }.flatMap(\.roles)
            let held = p.roles.filter { roles.contains($0.id) && !$0.readOnly }
            if held.contains(where: { $0.scope == .all }) { anywhere.append(s) } else if !held.isEmpty { ownUnit.append(s) }
        }
        if let only = base.state {
            anywhere = anywhere.filter { $0 == only }; ownUnit = ownUnit.filter { $0 == only }
        }
        let window = api.settings.console.queueWindow
        var rows: [CaseSummary] = []
        var capped = false
        var q = base
        q.state = nil
        q.limit = window
        q.offset = 0
        if !anywhere.isEmpty {
            q.states = anywhere
            let found = try await engine.store.list(q)
            capped = capped || found.count == window
            rows += found
        }
        if !ownUnit.isEmpty, base.unit == nil || base.unit == p.unit {
            q.states = ownUnit
            q.unit = p.unit
            let found = try await engine.store.list(q)
            capped = capped || found.count == window
            rows += found
        }
        if excludeOthersAssigned { rows = rows.filter { !isAssigneesJob($0, reader) } }
        // The first `window` of the merge are the first of all: each list holds its own first `window`.
        let sorted = rows.sorted { a, b in
            switch (a.earliestDue, b.earliestDue) {
            case let (x?, y?): x != y ? x < y : a.id < b.id
            case (nil, _?): false
            case (_?, nil): true
            case (nil, nil): a.openedAt != b.openedAt ? a.openedAt < b.openedAt : a.id < b.id
            }
        }
        return (capped ? Array(sorted.prefix(window)) : sorted, capped)
    }

    /// A search that is a case's number opens that case (one indexed lookup, not a text scan).
    func caseNumberJump(_ f: QueueFilters) async throws -> Response? {
        guard let q = f.q, q.count <= 64, try await engine.store.caseID(number: q) != nil else { return nil }
        return Self.redirect("/console/cases/\(q.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? q)")
    }

    /// A case assigned to someone else is their job, not the reader's, when every step the reader may take
    /// from its state is one the assignee may take too (a liaison's colleague answering); a step only the
    /// reader's role takes (the unit head's review, the clerk's call back) stays on the reader's list.
    func isAssigneesJob(_ row: CaseSummary, _ reader: Reader) -> Bool {
        guard let assignee = row.assignee, assignee != reader.id, let theirs = engine.pack.person(assignee) else { return false }
        let mine = engine.pack.procedure.transitions.filter { t in
            t.from.contains(row.state) && reader.principal.roles.contains { t.roles.contains($0.id) && !$0.readOnly }
        }
        return !mine.isEmpty && mine.allSatisfy { t in theirs.roles.contains { t.roles.contains($0) } }
    }

    @Sendable func todo(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        let f = QueueFilters(request)
        if let jump = try await caseNumberJump(f) { return jump }
        let base = try baseQuery(f, reader)
        let p = reader.principal
        let heading: String, explanation: String
        var rows: [CaseSummary]
        var total: Int
        var capped = false
        if f.mine {
            heading = "我的待办"
            explanation = "您现在可以办理的案件（已指派给他人的除外），按到期时间排序。"
            let all = try await actionable(statesActable(by: p, in: nil), reader, base: base, excludeOthersAssigned: true)
            total = all.rows.count
            capped = all.capped
            rows = Array(all.rows.dropFirst((f.page - 1) * Self.pageSize).prefix(Self.pageSize))
        } else {
            heading = "本单位待办"
            explanation = "\(engine.pack.unit(p.unit)?.name ?? p.unit)承办的未办结案件，按到期时间排序。"
            var q = base
            if let u = q.unit, u != p.unit { throw ConsoleError(.forbidden, "本单位待办只显示您所在单位的案件") }
            q.unit = p.unit
            q.offset = (f.page - 1) * Self.pageSize
            rows = try await engine.store.list(q)
            total = try await engine.store.count(q)
        }
        return queueResponse(heading: heading, explanation: explanation, action: "/console/", current: "todo", showScope: true,
                             filters: f, rows: rows, total: total, capped: capped, reader: reader)
    }

    func worklist(_ list: Worklist, _ request: Request, _ context: KesuRequestContext, _ reader: Reader) async throws -> Response {
        let f = QueueFilters(request)
        if let jump = try await caseNumberJump(f) { return jump }
        let base = try baseQuery(f, reader)
        let states = statesActable(by: reader.principal, in: list)
        guard !states.isEmpty else { throw ConsoleError(.forbidden, "您的角色不办理\(list == .approval ? "审批" : "回访")") }
        let all = try await actionable(states, reader, base: base, excludeOthersAssigned: false)
        let rows = Array(all.rows.dropFirst((f.page - 1) * Self.pageSize).prefix(Self.pageSize))
        let (heading, explanation, action, key) = list == .approval
            ? ("审批", "等待您审批的案件，按到期时间排序。", "/console/approvals", "approvals")
            : ("回访", "等待回访客户的案件，按到期时间排序。", "/console/callbacks", "callbacks")
        return queueResponse(heading: heading, explanation: explanation, action: action, current: key, showScope: false,
                             filters: f, rows: rows, total: all.rows.count, capped: all.capped, reader: reader)
    }

    func queueResponse(heading: String, explanation: String, action: String, current: String, showScope: Bool, filters f: QueueFilters,
                       rows: [CaseSummary], total: Int, capped: Bool = false, reader: Reader) -> Response {
        let pack = engine.pack
        let now = api.now()
        let soon = soonLimit(now)
        let builder = CaseViewBuilder(engine: engine, viewer: reader.principal, now: now)
        let shown = rows.map { s -> QueuePage.Row in
            let v = builder.row(s)
            let (cls, countdown) = countdown(s.earliestDue, now: now, soon: soon, open: s.closedAt == nil)
            return .init(number: v.number, href: "/console/cases/\(v.number)", state: v.stateName, unit: v.handlingUnitName ?? "未派单",
                         category: s.category.flatMap { pack.label(field: "category", value: $0) } ?? s.category ?? "",
                         opened: time(s.openedAt), due: time(s.earliestDue), dueClass: cls, countdown: countdown,
                         calendarMark: CoverageText.mark(v.earliestDueCalendar))
        }
        func choices(_ items: [(String, String)], _ selected: String?) -> [Choice] {
            [Choice(id: "", label: "全部", selected: selected == nil)] + items.map { Choice(id: $0.0, label: $0.1, selected: $0.0 == selected) }
        }
        let filters = QueuePage.Filters(
            scopeMine: f.mine, scopeUnit: !f.mine, showScope: showScope,
            states: choices(pack.procedure.states.filter { !$0.isFinal }.map { ($0.id, $0.name) }, f.state),
            units: choices(pack.units.map { ($0.id, $0.name) }, f.unit),
            categories: choices((pack.allowedValues(of: "category") ?? []).map { ($0, pack.label(field: "category", value: $0) ?? $0) }, f.category),
            overdue: f.overdue, from: f.from ?? "", until: f.until ?? "", q: f.q ?? "")
        let pageCount = max(1, (total + Self.pageSize - 1) / Self.pageSize)
        let qs = f.queryString
        func link(_ page: Int) -> String { action + "?" + (qs.isEmpty ? "" : qs + "&") + "page=\(page)" }
        let page = QueuePage(
            chrome: chrome(heading, reader, current: current), heading: heading, action: action, explanation: explanation,
            filters: filters, rows: shown, total: total, empty: shown.isEmpty,
            prev: f.page > 1 ? link(f.page - 1) : nil, next: f.page < pageCount ? link(f.page + 1) : nil,
            pageInfo: capped
                ? "显示最早到期的 \(total) 件（符合条件的案件更多，请用筛选缩小范围），第 \(min(f.page, pageCount)) / \(pageCount) 页"
                : "共 \(total) 件，第 \(min(f.page, pageCount)) / \(pageCount) 页")
        return Self.html(pages.render(page, "queue"))
    }

    /// Due within one working day from now: amber.
    func soonLimit(_ now: Date) -> Date {
        (try? engine.planner.calendar.due(from: now, length: .workingDays(1, .sameTime))) ?? now.addingTimeInterval(86400)
    }

    /// The due cell: `overdue` (red), `soon` (amber) or `ok`, and how long is left or past.
    func countdown(_ due: Date?, now: Date, soon: Date, open: Bool) -> (String, String) {
        guard let due, open else { return ("", "") }
        if due <= now { return ("overdue", "已逾期 " + Self.span(now.timeIntervalSince(due))) }
        return (due <= soon ? "soon" : "ok", "剩余 " + Self.span(due.timeIntervalSince(now)))
    }

    /// `2天3小时`, `5小时20分`, `12分`.
    static func span(_ seconds: TimeInterval) -> String {
        let m = Int(seconds / 60)
        let (d, h, mm) = (m / 1440, (m % 1440) / 60, m % 60)
        if d > 0 { return "\(d)天\(h)小时" }
        if h > 0 { return "\(h)小时\(mm)分" }
        return "\(mm)分"
    }

    // MARK: 督办

    @Sendable func supervision(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        guard reader.principal.seesAllCases else { throw ConsoleError(.forbidden, "督办总览只对可查看全部案件的角色开放") }
        let pack = engine.pack
        let now = api.now()
        let calendar = engine.planner.calendar
        let today = calendar.localDate(of: now)
        let endOfToday = calendar.instant(calendar.nextDay(today), minute: 0)
        // Every count of the page in one read of the open cases (docs/performance.md: under 50 ms on a million cases).
        let counts = try await engine.store.openCaseCounts(overdueAt: now, dueBefore: endOfToday)
        func row(_ name: String, _ rows: [OpenCaseCount], href: String) -> SupervisionPage.UnitRow {
            let open = rows.reduce(0) { $0 + $1.open }, overdue = rows.reduce(0) { $0 + $1.overdue }
            let due = rows.reduce(0) { $0 + $1.dueBefore }
            return .init(unit: name, overdue: overdue, dueToday: due - overdue, open: open, href: href, late: overdue > 0)
        }
        var units: [SupervisionPage.UnitRow] = []
        for u in pack.units {
            let r = row(u.name, counts.filter { $0.unit == u.id }, href: "/console/?scope=unit&unit=\(u.id)")
            if r.open > 0 || r.overdue > 0 { units.append(r) }
        }
        var states: [SupervisionPage.UnitRow] = []
        for s in pack.procedure.states {
            let r = row(s.name, counts.filter { $0.state == s.id }, href: "/console/?scope=unit&state=\(s.id)")
            if r.open > 0 { states.append(r) }
        }
        let total = row("合计", counts, href: "/console/?scope=unit")
        let days = 7
        let events = try await engine.store.events(types: ["escalation"], occurredFrom: now.addingTimeInterval(-Double(days) * 86400), to: now)
        let numbers = try await engine.store.numbers(caseIDs: Array(Set(events.map(\.caseID))))
        let text = HistoryText(pack: pack, zone: zone)
        let escalations = events.sorted { $0.at > $1.at }.prefix(100).map { e in
            SupervisionPage.Escalation(at: time(e.at), number: numbers[e.caseID] ?? "", href: "/console/cases/\(numbers[e.caseID] ?? "")", what: text.reading(e))
        }
        let page = SupervisionPage(chrome: chrome("督办", reader, current: "supervision"), units: units, states: states, total: total,
                                   escalations: Array(escalations), days: days, noEscalations: escalations.isEmpty)
        return Self.html(pages.render(page, "supervision"))
    }
}

import Foundation
import Hummingbird
import KesuKernel
import KesuRendering
import KesuViews

extension Console {
    /// Pages for scores with drill-down and downloads, report duties, the case register (reports).
    func registerAppraisal(_ g: RouterGroup<KesuRequestContext>) {
        g.get("scores", use: signedIn(scoresPage))
        g.get("scores/download", use: signedIn(scoresDownload))
        g.get("scores/duties", use: signedIn(dutiesPage))
        g.post("scores/duties", use: signedIn(dutiesPost))
        g.get("scores/register", use: signedIn(registerPage))
        g.get("scores/:kind/:id", use: signedIn(scoreDetail))
    }

    // MARK: Period and query

    func queryValue(_ request: Request, _ key: String) -> String? {
        guard let s = request.uri.queryParameters[Substring(key)].map(String.init)?.trimmingCharacters(in: .whitespaces), !s.isEmpty else { return nil }
        return s
    }

    /// `?period=` (default: the quarter of today) and `?by=unit|person` (default unit).
    func scoresQuery(_ request: Request) throws -> (Period, ScoreSubject.Kind) {
        let today = engine.planner.calendar.localDate(of: api.now())
        let label = queryValue(request, "period") ?? "\(today.year)Q\((today.month - 1) / 3 + 1)"
        let period: Period
        do { period = try Period.parse(label, calendar: engine.planner.calendar) } catch {
            throw ConsoleError(.badRequest, "考核期间“\(label)”无效：请写成月份 2026-10、季度 2026Q4 或年份 2026")
        }
        let byText = queryValue(request, "by") ?? "unit"
        guard let by = ScoreSubject.Kind(rawValue: byText) else { throw ConsoleError(.badRequest, "“\(byText)”无效：按单位（unit）或按人员（person）") }
        return (period, by)
    }

    /// This year's and last year's years, quarters and months, newest first, and the chosen one.
    func periodChoices(_ selected: String) -> [Choice] {
        let year = engine.planner.calendar.localDate(of: api.now()).year
        var labels: [String] = []
        for y in [year, year - 1] {
            labels += (1...4).reversed().map { "\(y)Q\($0)" }
            labels += (1...12).reversed().map { m in m < 10 ? "\(y)-0\(m)" : "\(y)-\(m)" }
            labels.append("\(y)")
        }
        if !labels.contains(selected) { labels.insert(selected, at: 0) }
        return labels.map { Choice(id: $0, label: Period.chineseName($0), selected: $0 == selected) }
    }

    /// A summary cell as the page shows it: rates as percentages, — where nothing was counted.
    static func percent(_ v: ScoreExport.Value) -> String {
        switch v {
        case let .rate(r?): String(format: "%.1f%%", r * 100)
        case .rate(nil), .none: "—"
        case let .text(s): s
        case let .integer(n): String(n)
        case let .decimal(x): ScoreExport.number(x)
        case .dateTime: ""   // the summary has no times
        }
    }

    /// The columns people read on the page: the export's, without ids and the threshold's keys.
    /// A pack id in a path: letters, digits, `-._~` as they are, anything else escaped.
    static let idCharacters = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))

    static let hiddenScoreColumns: Set<String> = ["id", "name", "unit", "baseline", "recommendation", "threshold"]

    // MARK: 考核得分

    @Sendable func scoresPage(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try reader.principal.require(.reports, for: "read appraisal scores")
        let (period, by) = try scoresQuery(request)
        let export = try await engine.scoreExport(period: period, by: by)
        let table = export.summaryTable
        let shown = table.columns.indices.filter { !Self.hiddenScoreColumns.contains(table.columns[$0].key) }
        let q = "period=\(period.label)&by=\(by.rawValue)"
        let rows = zip(export.rows, table.rows).map { row, values in
            ScoresPage.Row(
                id: row.subject.id, name: row.name, href: "/console/scores/\(by.rawValue)/\(row.subject.id.addingPercentEncoding(withAllowedCharacters: Self.idCharacters) ?? "")?period=\(period.label)",
                cells: shown.map { FigureCell(text: Self.percent(values[$0]), numeric: table.columns[$0].kind != .text) },
                deducted: row.deducted > 0)
        }
        let page = ScoresPage(
            chrome: chrome("考核得分", reader, current: "scores"), menu: .make("scores"),
            periodLabel: period.chineseName,
            periodSpan: "\(ChineseTime.date(period.start, in: zone)) 至 \(ChineseTime.date(period.end.addingTimeInterval(-1), in: zone))",
            periods: periodChoices(period.label), byUnit: by == .unit, subjectHeader: by == .unit ? "单位" : "姓名",
            headers: shown.map { table.columns[$0].title(.zh) }, rows: rows,
            csvHref: "/console/scores/download?\(q)&format=csv", xlsxHref: "/console/scores/download?\(q)&format=xlsx",
            totalItems: export.items.count)
        return Self.html(pages.render(page, "scores"))
    }

    /// The period's CSV or Excel file, the bytes `kesu scores --format csv|xlsx` writes.
    @Sendable func scoresDownload(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try reader.principal.require(.reports, for: "download appraisal scores")
        let (period, by) = try scoresQuery(request)
        let format = queryValue(request, "format") ?? "xlsx"
        guard format == "csv" || format == "xlsx" else { throw ConsoleError(.badRequest, "下载格式只有 csv 和 xlsx") }
        let export = try await engine.scoreExport(period: period, by: by)
        return try ExportDownload.scores(export, xlsx: format == "xlsx")
    }

    // MARK: Drill-down

    @Sendable func scoreDetail(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try reader.principal.require(.reports, for: "read appraisal scores")
        let kindText = try context.parameters.require("kind")
        let id = try context.parameters.require("id")
        guard let kind = ScoreSubject.Kind(rawValue: kindText) else { throw ConsoleError(.notFound, "没有这个页面。请从考核得分进入。") }
        let (period, _) = try scoresQuery(request)
        let export = try await engine.scoreExport(period: period, by: kind)
        guard let row = export.rows.first(where: { $0.subject.id == id }) else {
            throw ConsoleError(.notFound, "\(period.chineseName)没有\(kind == .unit ? "单位" : "人员")“\(id)”的考核记录")
        }
        let items = export.items.filter { $0.subject == row.subject }.map { i in
            ScoreDetailPage.Item(at: time(i.occurredAt), cause: i.causeName, rule: i.ruleID, points: "−" + ScoreExport.number(i.points),
                                 number: i.caseNumber,
                                 href: "/console/cases/\(i.caseNumber.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? i.caseNumber)")
        }
        let m = row.measures
        func rate(_ r: Double?) -> String { Self.percent(.rate(r)) }
        var figures: [ScoreDetailPage.Figure] = [
            .init(label: "基础分", value: ScoreExport.number(row.baseline)),
            .init(label: "扣分合计", value: ScoreExport.number(row.deducted)),
            .init(label: "得分", value: ScoreExport.number(row.score)),
            .init(label: "受理件数", value: String(m.received)),
            .init(label: "按时办结率", value: rate(m.onTimeRate)),
            .init(label: "逾期件数", value: String(m.overdue)),
            .init(label: "回访满意率", value: rate(m.satisfactionRate)),
        ]
        if let unit = row.unitName { figures.insert(.init(label: "所属单位", value: unit), at: 0) }
        if let r = row.recommendationName { figures.append(.init(label: "建议处理", value: r)) }
        let heading = "\(row.name) · \(period.chineseName)扣分明细"
        let page = ScoreDetailPage(
            chrome: chrome(heading, reader, current: "scores"), menu: .make("scores"), heading: heading,
            periodLabel: period.chineseName, backHref: "/console/scores?period=\(period.label)&by=\(kind.rawValue)",
            figures: figures, items: items, empty: items.isEmpty)
        return Self.html(pages.render(page, "scores-detail"))
    }

    // MARK: 报送

    func dutiesQuarter(_ text: String?) throws -> Period {
        do { return try engine.reportQuarter(text, at: api.now()) } catch {
            throw ConsoleError(.badRequest, "季度“\(text ?? "")”无效：请写成 2026Q4")
        }
    }

    @Sendable func dutiesPage(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try reader.principal.require(.reports, for: "read the periodic-report duties")
        let quarter = try dutiesQuarter(queryValue(request, "quarter"))
        let notice: String? = queryValue(request, "done") == "submitted" ? "已登记报送。" : nil
        return try await dutiesResponse(quarter, reader, notice: notice)
    }

    func dutiesResponse(_ quarter: Period, _ reader: Reader, notice: String? = nil, error: String? = nil,
                        status: HTTPResponse.Status = .ok) async throws -> Response {
        let pack = engine.pack
        let duties = try await engine.reportDuties(quarter: quarter, at: api.now())
        let p = reader.principal
        let rows = duties.map { d in
            DutiesPage.Row(
                report: "《\(d.reportName)》", reportID: d.reportID, unit: pack.unit(d.unit)?.name ?? d.unit, due: time(d.due),
                status: d.status.chinese, late: d.status.isLate, submittedAt: time(d.submittedAt),
                submittedBy: d.submittedBy.map { pack.person($0)?.name ?? $0 } ?? "", note: d.note ?? "",
                canSubmit: d.submittedAt == nil && d.unit == p.unit && !p.readOnly, formID: "submit-\(d.reportID)-\(d.unit)")
        }
        let year = engine.planner.calendar.localDate(of: api.now()).year
        var labels = [year, year - 1].flatMap { y in (1...4).reversed().map { "\(y)Q\($0)" } }
        if !labels.contains(quarter.label) { labels.insert(quarter.label, at: 0) }
        let page = DutiesPage(
            chrome: chrome("报送", reader, current: "scores", notice: notice, error: error), menu: .make("duties"),
            quarter: quarter.chineseName, quarterID: quarter.label,
            quarters: labels.map { Choice(id: $0, label: Period.chineseName($0), selected: $0 == quarter.label) },
            rows: rows, empty: rows.isEmpty)
        return Self.html(pages.render(page, "scores-duties"), status: status)
    }

    /// Records that the reader's unit handed in a report: the same kernel step as `kesu report submit`.
    @Sendable func dutiesPost(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try reader.principal.require(.reports, for: "record a periodic report")
        let form = try await form(request)
        let quarter = try dutiesQuarter(form["quarter"])
        do {
            try reader.principal.mayWrite("hand in a periodic report")
            let note = form["note"].flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
            _ = try await engine.submitReport(form["report"] ?? "", quarter: quarter, unit: form["unit"], note: note, by: reader.id, at: api.now())
        } catch {
            let status = APIError.from(error).status
            let message = switch (error as? KesuError)?.code {
            case .forbidden?: "只有本单位的人员可以登记本单位的报送。"
            case .wrongState?: "这份报告本季度已经登记报送，不能重复登记。"
            case .invalidValue?: "您的单位不需要报送这份报告。"
            case .notFound?: "规则包没有这份报告。"
            case nil where status == .forbidden: "您的角色只能查看，不能登记报送。"
            default: ConsoleWording(pack: engine.pack).message(error)
            }
            return try await dutiesResponse(quarter, reader, error: message, status: status)
        }
        return Self.redirect("/console/scores/duties?quarter=\(quarter.label)&done=submitted")
    }

    // MARK: 台账

    @Sendable func registerPage(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try reader.principal.require(.reports, for: "download the case register")
        let calendar = engine.planner.calendar
        let today = calendar.localDate(of: api.now())
        let quarterStart = LocalDate(year: today.year, month: (today.month - 1) / 3 * 3 + 1, day: 1)
        let from = queryValue(request, "from"), until = queryValue(request, "until")
        let format = queryValue(request, "format") ?? "xlsx"
        let masked = !reader.principal.has(.personalData)
        func page(_ error: String?, status: HTTPResponse.Status) -> Response {
            let model = RegisterPage(chrome: chrome("台账", reader, current: "scores", error: error), menu: .make("register"),
                                     from: from ?? quarterStart.description, until: until ?? today.description,
                                     xlsx: format != "csv", masked: masked)
            return Self.html(pages.render(model, "scores-register"), status: status)
        }
        guard let from, let until else {
            return page(from == nil && until == nil ? nil : "请填写起止日期", status: from == nil && until == nil ? .ok : .badRequest)
        }
        guard format == "csv" || format == "xlsx" else { return page("下载格式只有 csv 和 xlsx", status: .badRequest) }
        let window: (from: Date, until: Date)
        do { window = try CaseRegister.window(from: from, until: until, calendar: calendar) } catch {
            return page("日期无效：请写成 2026-10-01，且起始日期不晚于截止日期", status: .badRequest)
        }
        return try await ExportDownload.register(engine: engine, viewer: reader.principal, window: window, from: from, until: until,
                                                 xlsx: format == "xlsx", now: api.now(), via: .console)
    }
}

import Foundation
import Hummingbird
import KesuKernel
import KesuRendering
import KesuViews

/// 受理登记, the case page, a transition's form and extensions.
extension Console {
    // MARK: Form controls

    /// A control for a field of the pack: a select for choices, people and units; a textarea for long text.
    func control(_ f: FormFieldView, value: String?) -> FieldControl {
        let isSelect = !f.choices.isEmpty || ["person", "unit", "boolean"].contains(f.type)
        var options = f.choices.map { Choice(id: $0.id, label: $0.name, selected: $0.id == value) }
        if options.isEmpty && f.type == "boolean" {
            options = [Choice(id: "yes", label: "是", selected: value == "yes"), Choice(id: "no", label: "否", selected: value == "no")]
        }
        let pack = engine.pack
        if options.isEmpty && f.type == "person" {
            options = pack.people.map { p in Choice(id: p.id, label: "\(p.name)（\(pack.unit(p.unit)?.name ?? p.unit)）", selected: p.id == value) }
        }
        if options.isEmpty && f.type == "unit" {
            options = pack.units.map { Choice(id: $0.id, label: $0.name, selected: $0.id == value) }
        }
        if isSelect { options.insert(Choice(id: "", label: f.required ? "请选择" : "（不填）", selected: value == nil || value == ""), at: 0) }
        // The complaint's own text, and the pack's fields declared `multiline: true` (answers, comments), get room to write.
        let long = f.id == "description" || pack.fields.contains { $0.id == f.id && $0.multiline }
        return FieldControl(id: f.id, name: f.name, required: f.required, isSelect: isSelect, isTextarea: long && !isSelect,
                            isDatetime: f.type == "datetime", options: options, value: value ?? "",
                            hint: f.type == "datetime" ? "例如 2026-10-13 18:00" : nil)
    }

    /// A posted value as the engine takes it: `datetime-local` (`2026-10-13T18:00`) becomes ISO-8601 in the pack's zone.
    func engineValue(_ f: FormFieldView, _ raw: String) -> String {
        guard f.type == "datetime", ISO8601.parse(raw) == nil else { return raw }
        let t = raw.replacingOccurrences(of: " ", with: "T")
        let parts = t.split(separator: "T")
        guard parts.count == 2 else { return raw }
        let d = parts[0].split(separator: "-").compactMap { Int($0) }
        let h = parts[1].split(separator: ":").compactMap { Int($0) }
        var c = Calendar(identifier: .gregorian)
        c.timeZone = zone
        guard d.count == 3, h.count >= 2, let date = c.date(from: DateComponents(year: d[0], month: d[1], day: d[2], hour: h[0], minute: h[1])) else { return raw }
        return ISO8601.format(date, in: zone)
    }

    var wording: ConsoleWording { ConsoleWording(pack: engine.pack) }

    func builder(_ reader: Reader) -> CaseViewBuilder { CaseViewBuilder(engine: engine, viewer: reader.principal, now: api.now()) }

    // MARK: 受理登记

    var intakeFields: [FormFieldView] {
        let intake = engine.pack.procedure.intake
        let b = CaseViewBuilder(engine: engine, viewer: nil, now: api.now())
        return intake.requires.map { b.formField($0, required: true, pack: engine.pack) }
            + intake.accepts.filter { !intake.requires.contains($0) }.map { b.formField($0, required: false, pack: engine.pack) }
    }

    func mayRegister(_ reader: Reader) -> Bool {
        !reader.principal.readOnly && engine.pack.procedure.intake.roles.contains { reader.principal.person.roles.contains($0) }
    }

    @Sendable func intakePage(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        guard mayRegister(reader) else { throw ConsoleError(.forbidden, "您的角色不受理登记投诉") }
        let page = IntakePage(chrome: chrome("受理登记", reader, current: "intake"), fields: intakeFields.map { control($0, value: nil) },
                              earlier: [], showEarlier: false)
        return Self.html(pages.render(page, "intake"))
    }

    @Sendable func intakePost(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        guard mayRegister(reader) else { throw ConsoleError(.forbidden, "您的角色不受理登记投诉") }
        let form = try await self.form(request)
        let defs = intakeFields
        var fields: [String: String] = [:]
        for f in defs { if let v = form.text(f.id) { fields[f.id] = engineValue(f, v) } }
        // 建议分类: the keywords' proposal filled in, nothing registered yet.
        if form["propose"] != nil {
            let text = [fields["subject"], fields["description"]].compactMap { $0 }.joined(separator: " ")
            let proposed = engine.planner.proposeCategory(for: text, kind: fields["kind"])
            if let proposed, fields["category"] == nil { fields["category"] = proposed }
            let note = proposed.map { "按关键词建议分类：\(engine.pack.label(field: "category", value: $0) ?? $0)" } ?? "内容中没有匹配的关键词，请手动选择分类。"
            let earlier = try await repeatCalls(phone: fields["complainant_phone"], before: api.now(), excluding: nil, reader)
            let page = IntakePage(chrome: chrome("受理登记", reader, current: "intake", notice: note),
                                  fields: defs.map { control($0, value: fields[$0.id]) },
                                  earlier: earlier, showEarlier: !earlier.isEmpty)
            return Self.html(pages.render(page, "intake"))
        }
        do {
            let result = try await engine.intake(fields: fields, by: reader.id, at: api.now())
            api.logger.info("case registered", metadata: ["case": "\(result.state.number)", "user": "\(reader.id)", "via": "console"])
            return Self.redirect("/console/cases/\(result.state.number)?done=intake")
        } catch let e as KesuError {
            let page = IntakePage(chrome: chrome("受理登记", reader, current: "intake", error: wording.message(e)),
                                  fields: defs.map { control($0, value: fields[$0.id]) }, earlier: [], showEarlier: false)
            return Self.html(pages.render(page, "intake"), status: .unprocessableContent)
        }
    }

    // MARK: The case page

    func visible(_ context: KesuRequestContext, _ reader: Reader) async throws -> (CaseState, [Event]) {
        let number = try context.parameters.require("number")
        let (state, events) = try await engine.history(number)
        try reader.principal.mustSee(state, number: state.number)
        return (state, events)
    }

    @Sendable func casePage(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        let (state, events) = try await visible(context, reader)
        let notice: String? = switch request.uri.queryParameters["done"].map(String.init) {
        case "intake"?: "已登记案件 \(state.number)。"
        case "extend"?: "已批准延期。"
        case "extension-request"?: "已提交延期申请，等待审批。"
        case "extension-declined"?: "已不批准该延期申请。"
        case "upload"?: "附件已上传。"
        case let t?: "已完成：\(engine.pack.transition(t)?.name ?? "操作")。"
        case nil: nil
        }
        return try await caseResponse(state, events, reader, notice: notice, error: nil, status: .ok)
    }

    func caseResponse(_ state: CaseState, _ events: [Event], _ reader: Reader, notice: String?, error: String?,
                      status: HTTPResponse.Status) async throws -> Response {
        // 个人信息查看记录: written before the page is made; if it cannot be written the page fails.
        try await api.recordPersonalView(reader.principal, state, via: .console)
        let now = api.now()
        let b = builder(reader)
        let rules = (try? await engine.planner(for: state)) ?? engine.planner
        let v = b.view(state, events: events, rules: rules)
        let own = rules.pack
        let soon = soonLimit(now)
        // Fields in the order of the intake form, then the rest as the pack declares them.
        let intake = own.procedure.intake
        var order = intake.requires + intake.accepts
        for f in own.fields.map(\.id) where !order.contains(f) { order.append(f) }
        for k in v.fields.keys.sorted() where !order.contains(k) { order.append(k) }
        let text = HistoryText(pack: own, zone: zone)
        let fields = order.compactMap { k -> CasePage.Field? in
            guard let raw = v.fields[k], !raw.isEmpty else { return nil }
            return .init(id: k, name: CaseViewBuilder.fieldName(k, pack: own), value: text.value(field: k, raw))
        }
        let timeline = (v.events ?? []).reversed().map { e in
            CasePage.Entry(at: time(e.at.date), who: e.actorName == Event.systemActor ? "系统" : e.actorName,
                           what: text.reading(Event(at: e.at.date, actor: e.actor, ruleID: e.ruleID, packVersion: e.packVersion, body: e.body)),
                           rule: e.ruleID)
        }
        let works = !reader.principal.readOnly && rules.worksOn(state, person: reader.principal.person)
        let clocks = v.clocks.map { c -> CasePage.ClockBox in
            let (cls, cd) = c.status == "running" ? countdown(c.dueAt.date, now: now, soon: soon, open: true) : ("", "")
            let status = switch c.status { case "running": "计时中"; case "paused": "已暂停"; default: c.late ? "已停止（逾期）" : "已停止" }
            let days = (c.dueWalk?.days ?? []).map { d in
                CasePage.Day(date: d.date, weekday: ["一", "二", "三", "四", "五", "六", "日"][max(0, min(6, d.weekday - 1))],
                             kind: Self.dayKind(d), role: Self.dayRole(d.role), ordinal: d.ordinal.map { "第\($0)个工作日" } ?? "", due: d.isDueDay)
            }
            let basis = c.dueWalk.map { w in "从 \(time(w.from.date)) 起算（\(w.basis == "start" ? "开始计时" : w.basis == "resume" ? "恢复计时" : "延期")），到期 \(time(w.due.date))" }
            // Extensions: who may grant (the pack's approvers) and who may ask (the people working the case).
            let raw = state.clocks[c.id]
            let rule = own.clock(c.id)?.extensionRule
            let running = raw?.status == .running && rule != nil
            let approver = running && !reader.principal.readOnly
                && rules.mayAct(reader.principal.person, roles: rule?.approvers ?? [], handlingUnit: state.handlingUnit)
            let pending = raw?.pendingRequest
            let requestText = pending.map { r in
                "\(own.person(r.requester)?.name ?? r.requester) 于 \(time(r.at)) 申请延期 \(HistoryText.lengthText(r.length))，理由：\(r.reason)"
            }
            var requestedDays = 1
            if case let .workingDays(d, _)? = pending?.length { requestedDays = d }
            return .init(name: c.name, status: status, started: time(c.startedAt.date), due: time(c.dueAt.date), dueClass: cls, countdown: cd,
                         calendar: CoverageText.mark(c.dueCalendar), basis: basis, days: days, hasWalk: !days.isEmpty,
                         id: c.id, pendingRequest: requestText, canApprove: approver, approveDays: requestedDays,
                         canDecline: approver && pending != nil, canRequest: running && works && pending == nil && !approver)
        }
        let actions = v.availableTransitions.filter(\.allowed).map {
            CasePage.Action(id: $0.id, name: $0.name, href: "/console/cases/\(v.number)/act/\($0.id)")
        }
        let earlier = try await repeatCalls(phone: state.fields["complainant_phone"], before: state.openedAt, excluding: state.id, reader)
        let page = CasePage(
            chrome: chrome("案件 \(v.number)", reader, current: "", notice: notice, error: error),
            number: v.number, state: v.stateName, unit: v.handlingUnitName ?? "未派单", assignee: v.assigneeName ?? "未指派",
            opened: time(v.openedAt.date), closed: v.closedAt.map { time($0.date) }, overdue: v.overdue,
            fields: fields, clocks: clocks, hasClocks: !clocks.isEmpty, actions: actions, hasActions: !actions.isEmpty,
            timeline: timeline, attachments: attachmentRows(v), canUpload: !reader.principal.readOnly,
            uploadAction: "/console/cases/\(v.number)/attachments",
            version: v.version, earlier: earlier, showEarlier: !earlier.isEmpty,
            violations: v.violations.map { id in own.scoring.violations.first { $0.id == id }?.name ?? id }, hasViolations: !v.violations.isEmpty)
        return Self.html(pages.render(page, "case"), status: status)
    }

    func attachmentRows(_ v: CaseView) -> [CasePage.Attachment] {
        v.attachments.map {
            .init(name: $0.name, href: "/console/cases/\(v.number)/attachments/\($0.sha256)", size: $0.sizeText, type: $0.mediaType,
                  added: "\($0.addedByName) \(time($0.addedAt.date))")
        }
    }

    /// 申请延期: someone working the case asks the approvers for more working days.
    @Sendable func requestExtensionPost(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        let (state, events) = try await visible(context, reader)
        try reader.principal.mayWrite("ask for an extension")
        let form = try await self.form(request)
        guard let clock = form.text("clock"), let days = form.text("days").flatMap(Int.init), days > 0 else {
            return try await caseResponse(state, events, reader, notice: nil, error: "请填写申请延长的工作日数（正整数）。", status: .unprocessableContent)
        }
        do {
            _ = try await engine.requestExtension(state.number, clock: clock, by: .workingDays(days, .endOfDay), reason: form.text("reason") ?? "",
                                                  requester: reader.id, at: api.now(), expectedVersion: form.text("expected_version").flatMap(Int.init))
        } catch let e as KesuError {
            return try await caseResponse(state, events, reader, notice: nil, error: wording.message(e), status: APIError.from(e).status)
        }
        return Self.redirect("/console/cases/\(state.number)?done=extension-request")
    }

    /// 不批准延期: an approver declines the pending request, with a reason.
    @Sendable func declineExtensionPost(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        let (state, events) = try await visible(context, reader)
        try reader.principal.mayWrite("decline an extension")
        let form = try await self.form(request)
        do {
            _ = try await engine.declineExtension(state.number, clock: form.text("clock") ?? "", reason: form.text("reason") ?? "", by: reader.id,
                                                  at: api.now(), expectedVersion: form.text("expected_version").flatMap(Int.init))
        } catch let e as KesuError {
            return try await caseResponse(state, events, reader, notice: nil, error: wording.message(e), status: APIError.from(e).status)
        }
        return Self.redirect("/console/cases/\(state.number)?done=extension-declined")
    }

    // MARK: Attachments

    /// An upload from the case page's form (multipart; its CSRF token rides in the form's URL).
    @Sendable func uploadPost(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        let (state, events) = try await visible(context, reader)
        try reader.principal.mayWrite("attach a file")
        let limits = api.settings.attachmentLimits
        let form: MultipartForm
        do { form = try await MultipartForm.read(request, limit: limits.maxBytes + CaseRoutes.multipartOverhead) } catch {
            return try await caseResponse(state, events, reader, notice: nil, error: "上传失败：\(APIError.from(error).message)", status: .unprocessableContent)
        }
        guard let file = form.part("file"), let name = file.fileName, !name.isEmpty, !file.body.isEmpty else {
            return try await caseResponse(state, events, reader, notice: nil, error: "请选择要上传的文件。", status: .unprocessableContent)
        }
        let expected = form.text("expected_version").flatMap(Int.init)
        do {
            _ = try await engine.attach(number: state.number, fileName: name, mediaType: file.contentType ?? "application/octet-stream",
                                        content: file.body, by: reader.id, at: api.now(), expectedVersion: expected, limits: limits)
        } catch let e as KesuError {
            return try await caseResponse(state, events, reader, notice: nil, error: "上传失败：\(wording.message(e))", status: APIError.from(e).status)
        }
        api.logger.info("attachment", metadata: ["case": "\(state.number)", "user": "\(reader.id)", "via": "console"])
        return Self.redirect("/console/cases/\(state.number)?done=upload")
    }

    /// A download: always as a file to save, never shown inline (the API's headers).
    @Sendable func download(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        let (state, _) = try await visible(context, reader)
        let (meta, data) = try await engine.attachment(number: state.number, sha256: try context.parameters.require("sha256"), by: reader.id)
        return Response(status: .ok, headers: CaseRoutes.downloadHeaders(meta), body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func dayKind(_ d: DueDayView) -> String {
        switch d.kind {
        case "weekend": "周末"
        case "holiday": "节假日" + (d.label.map { "（\($0)）" } ?? "")
        case "adjusted_workday": "调休上班" + (d.label.map { "（\($0)）" } ?? "")
        default: "工作日"
        }
    }

    static func dayRole(_ role: String) -> String {
        switch role {
        case "received": "收到"
        case "start": "起算"
        case "skipped": "不计"
        default: "计入"
        }
    }

    /// A repeat caller: the cases from the same phone in the 30 days before `before`, for readers who
    /// may see personal data (for the others the phone is masked, so nothing is looked up).
    func repeatCalls(phone: String?, before: Date, excluding id: Int64?, _ reader: Reader) async throws -> [CasePage.Earlier] {
        guard reader.principal.has(.personalData), let phone = phone.flatMap(PersonalData.normalisedPhone) else { return [] }
        var q = CaseQuery(openedFrom: before.addingTimeInterval(-30 * 86400), limit: 20)
        q.phone = phone
        return try await engine.store.list(q).filter { $0.id != id && $0.openedAt <= before }.map {
            .init(number: $0.number, href: "/console/cases/\($0.number)", opened: time($0.openedAt),
                  state: engine.pack.state($0.state)?.name ?? $0.state)
        }
    }

    // MARK: Transitions

    func transitionView(_ state: CaseState, _ id: String, _ reader: Reader) async throws -> TransitionView {
        let v = await builder(reader).view(state)
        guard let t = v.availableTransitions.first(where: { $0.id == id }) else {
            let name = engine.pack.transition(id)?.name ?? id
            throw ConsoleError(.conflict, "案件 \(state.number) 当前（\(v.stateName)）不能办理“\(name)”。")
        }
        guard t.allowed else { throw ConsoleError(.forbidden, "您无权办理“\(t.name)”。") }
        return t
    }

    @Sendable func actPage(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        let (state, _) = try await visible(context, reader)
        let t = try await transitionView(state, try context.parameters.require("transition"), reader)
        return actResponse(state, t, values: [:], reader: reader, error: nil)
    }

    func actResponse(_ state: CaseState, _ t: TransitionView, values: [String: String], reader: Reader, error: String?) -> Response {
        let page = ActPage(chrome: chrome(t.name, reader, current: "", error: error), number: state.number,
                           caseHref: "/console/cases/\(state.number)", transition: t.name,
                           action: "/console/cases/\(state.number)/act/\(t.id)",
                           fields: t.fields.map { control($0, value: values[$0.id]) }, version: state.version)
        return Self.html(pages.render(page, "act"), status: error == nil ? .ok : .unprocessableContent)
    }

    @Sendable func actPost(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        let (state, _) = try await visible(context, reader)
        let t = try await transitionView(state, try context.parameters.require("transition"), reader)
        try reader.principal.mayWrite("take a transition")
        let form = try await self.form(request)
        var fields: [String: String] = [:]
        for f in t.fields { if let v = form.text(f.id) { fields[f.id] = engineValue(f, v) } }
        guard let expected = form.text("expected_version").flatMap(Int.init) else {
            throw ConsoleError(.badRequest, "表单缺少案件版本，请返回案件页面重新打开。")
        }
        do {
            _ = try await engine.act(state.number, transition: t.id, fields: fields, by: reader.id, at: api.now(), expectedVersion: expected)
        } catch let e as KesuError {
            return actResponse(state, t, values: fields, reader: reader, error: wording.message(e))
        } catch let e as StoreError {
            return actResponse(state, t, values: fields, reader: reader, error: "案件已被他人修改，请返回案件页面查看后再办理。（\(e)）")
        }
        api.logger.info("transition", metadata: ["case": "\(state.number)", "transition": "\(t.id)", "user": "\(reader.id)", "via": "console"])
        return Self.redirect("/console/cases/\(state.number)?done=\(t.id)")
    }

    @Sendable func extendPost(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        let (state, events) = try await visible(context, reader)
        try reader.principal.mayWrite("extend a clock")
        let form = try await self.form(request)
        guard let clock = form.text("clock"), let days = form.text("days").flatMap(Int.init), days > 0,
              let expected = form.text("expected_version").flatMap(Int.init) else {
            return try await caseResponse(state, events, reader, notice: nil, error: "请选择时限并填写延期的工作日数（正整数）。", status: .unprocessableContent)
        }
        do {
            _ = try await engine.extend(state.number, clock: clock, by: .workingDays(days, .endOfDay), reason: form.text("reason") ?? "",
                                        approver: reader.id, at: api.now(), expectedVersion: expected)
        } catch let e as KesuError {
            return try await caseResponse(state, events, reader, notice: nil, error: wording.message(e), status: .unprocessableContent)
        }
        return Self.redirect("/console/cases/\(state.number)?done=extend")
    }
}

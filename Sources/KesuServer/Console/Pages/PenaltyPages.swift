import Foundation
import HTTPTypes
import Hummingbird
import KesuKernel
import KesuRendering

extension Console {
    /// Pages for penalty recommendations, decisions, notices and appeals.
    func registerPenalties(_ g: RouterGroup<KesuRequestContext>) {
        g.get("penalties", use: signedIn(penaltiesPage))
        g.get("penalties/:ref", use: signedIn(penaltyPage))
        g.get("penalties/:ref/notice", use: signedIn(penaltyNoticePage))
        g.post("penalties/:ref/decide", use: signedIn { r, c, who in try await penaltyPost(.decide, r, c, who) })
        g.post("penalties/:ref/appeal", use: signedIn { r, c, who in try await penaltyPost(.appeal, r, c, who) })
        g.post("penalties/:ref/decide-appeal", use: signedIn { r, c, who in try await penaltyPost(.decideAppeal, r, c, who) })
    }

    enum PenaltyStep: String { case decide, appeal, decideAppeal = "decide-appeal" }

    /// Anyone the pack gives a part in penalties; the kernel's scope decides which they see.
    func mayOpenPenalties(_ reader: Reader) throws {
        guard engine.takesPartInPenalties(reader.id) else {
            throw ConsoleError(.forbidden, "您无权查看处罚。处罚只对有“报表”权限的角色，以及规则包处罚程序中可决定、申诉或复核处罚的人开放。")
        }
    }

    // MARK: List

    @Sendable func penaltiesPage(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mayOpenPenalties(reader)
        let now = api.now()
        let recent = try await engine.penaltyPeriods(at: now)
        let chosen = request.uri.queryParameters["period"].map(String.init).flatMap { $0.isEmpty ? nil : $0.uppercased() }
        var periods = recent
        if let chosen {
            do { periods = [try Period.parse(chosen, calendar: engine.planner.calendar)] } catch {
                throw ConsoleError(.badRequest, "考核期间“\(chosen)”无效：请写成 2026Q3（季度）、2026-10（月）或 2026（年）。")
            }
        }
        let all = try await engine.penalties(periods: periods).filter { engine.maySeePenalty($0.id, by: reader.id) }
        let pack = engine.pack
        let rows = all.reversed().map { p -> PenaltiesPage.Row in
            let status = p.status(at: now)
            let unit = p.decision?.unitName ?? p.recommendation?.unit.flatMap { pack.unit($0)?.name ?? $0 }
                ?? (p.id.subject.kind == .unit ? "（单位）" : "")
            return .init(ref: p.id.description, href: "/console/penalties/\(p.id)", subject: p.subjectName, unit: unit,
                         period: PenaltyNotice.periodName(p.id.period),
                         recommended: p.recommendation?.penaltyName ?? p.decision?.recommendedName ?? "—",
                         deducted: (p.decision?.points ?? p.recommendation?.deducted).map(PenaltyNotice.points) ?? "—",
                         status: status.name, statusKey: status.rawValue, inForce: p.penaltyInForceName ?? "—")
        }
        var choices = [Choice(id: "", label: "近期（当前与上一期）", selected: chosen == nil)]
        let kinds = Set(pack.scoring.thresholds.map(\.period))
        for kind in [PenaltyThreshold.Period.year, .quarter, .month] where kinds.contains(kind) {
            for back in 0..<(kind == .month ? 12 : kind == .quarter ? 8 : 3) {
                let p = try engine.period(containing: now, kind: kind, back: back)
                choices.append(Choice(id: p.label, label: PenaltyNotice.periodName(p.label), selected: p.label == chosen))
            }
        }
        if let chosen, !choices.contains(where: \.selected) {
            choices.append(Choice(id: chosen, label: PenaltyNotice.periodName(chosen), selected: true))
        }
        let scope = reader.principal.has(.reports) ? "" : "这里只列出与您有关、或您可以办理的处罚。"
        let page = PenaltiesPage(
            chrome: chrome("处罚", reader, current: "penalties"), heading: "处罚",
            explanation: "考核期间的扣分达到规则包阈值时，系统提出处罚建议；主管领导决定（可采纳、改为阶梯中的其他处罚或不予处罚），当事人可在期限内申诉。" + scope,
            periods: choices, rows: rows, empty: rows.isEmpty)
        return Self.html(pages.render(page, "penalties"))
    }

    // MARK: One recommendation

    func visiblePenalty(_ context: KesuRequestContext, _ reader: Reader) async throws -> PenaltyProceeding {
        try mayOpenPenalties(reader)
        let ref = try context.parameters.require("ref")
        let p: PenaltyProceeding
        do { p = try await engine.penalty(ref, at: api.now()) } catch let e as KesuError where e.code == .notFound {
            throw ConsoleError(.notFound, "没有找到处罚建议“\(ref)”。请从处罚列表进入。")
        }
        guard engine.maySeePenalty(p.id, by: reader.id) else {
            throw ConsoleError(.forbidden, "您无权查看这项处罚：它与您无关，您也不能办理。")
        }
        return p
    }

    @Sendable func penaltyPage(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        let p = try await visiblePenalty(context, reader)
        let notice: String? = switch request.uri.queryParameters["done"].map(String.init) {
        case "decide"?: "已记录处罚决定。"
        case "appeal"?: "已提出申诉，等待复核。"
        case "decide-appeal"?: "已记录复核结果。"
        default: nil
        }
        return penaltyResponse(p, reader, notice: notice, error: nil, form: [:], status: .ok)
    }

    func penaltyResponse(_ p: PenaltyProceeding, _ reader: Reader, notice: String?, error: String?, form: [String: String],
                         status: HTTPResponse.Status) -> Response {
        let now = api.now()
        let pack = engine.pack
        let st = p.status(at: now)
        let steps = engine.penaltySteps(p, for: reader.id, at: now)
        let person = p.id.subject.kind == .person
        var facts: [PenaltyPage.Fact] = [.init(label: person ? "当事人" : "当事单位", value: p.subjectName)]
        if person, let unit = p.decision?.unitName ?? p.recommendation?.unit.flatMap({ pack.unit($0)?.name ?? $0 }) {
            facts.append(.init(label: "所在单位", value: unit))
        }
        facts.append(.init(label: "考核期间", value: PenaltyNotice.periodName(p.id.period)))
        if let r = p.recommendation {
            facts.append(.init(label: "扣分合计", value: "\(PenaltyNotice.points(r.deducted)) 分（基准分 \(PenaltyNotice.points(r.baseline))）"))
            facts.append(.init(label: "建议处罚", value: "\(r.penaltyName)（本期扣分达到阈值 \(PenaltyNotice.points(r.thresholdPoints)) 分）"))
            if r.period.end > now { facts.append(.init(label: "说明", value: "考核期间尚未结束（\(time(r.period.end)) 结束），扣分仍可能变化。")) }
        } else if let d = p.decision {
            facts.append(.init(label: "建议处罚", value: d.recommendedName))
            facts.append(.init(label: "说明", value: "按现行规则包已不再建议处罚；已记录的决定仍然有效。"))
        }
        // Once decided, the evidence as it stood then (the notice's); before, as the deductions give it now.
        let items = p.decision?.evidence ?? p.recommendation?.evidence ?? []
        let evidence = items.map { e in
            PenaltyPage.Evidence(number: e.caseNumber, href: "/console/cases/\(e.caseNumber)", cause: e.causeName, rule: e.rule,
                                 points: PenaltyNotice.points(e.points), at: time(e.occurredAt))
        }
        let total = PenaltyNotice.points(items.reduce(0) { $0 + $1.points })
        var decision: [PenaltyPage.Fact] = []
        if let d = p.decision {
            decision = [
                .init(label: "处罚决定", value: d.decisionLabel + (d.decision == d.recommended ? "" : d.isDismissal ? "（不采纳处罚建议）" : "（与建议不同）")),
                .init(label: "决定理由", value: d.reason),
                .init(label: "决定人", value: "\(d.decidedByName)（\(d.decidedAsName)）"),
                .init(label: "决定时间", value: time(p.decidedAt)),
            ]
            if let deadline = d.appealDeadline {
                decision.append(.init(label: "申诉期限", value: time(deadline) + (now > deadline && p.appeal == nil ? "（已过期，决定已生效）" : "")))
            }
        }
        var appeal: [PenaltyPage.Fact] = []
        if let a = p.appeal {
            appeal = [.init(label: "申诉人", value: a.byName), .init(label: "申诉时间", value: time(p.appealedAt)),
                      .init(label: "申诉理由", value: a.reason)]
            if let r = p.appealDecision {
                appeal += [.init(label: "复核结果", value: Self.outcomeName(r.outcome) + "，现行处罚：" + r.decisionLabel),
                           .init(label: "复核理由", value: r.reason), .init(label: "复核人", value: r.decidedByName),
                           .init(label: "复核时间", value: time(p.appealDecidedAt))]
            } else {
                appeal.append(.init(label: "复核结果", value: "待复核"))
            }
        }
        let recommended = form["decision"] ?? p.recommendation?.penalty ?? ""
        var choices = pack.scoring.penalties.map { c in
            Choice(id: c.id, label: c.name + (c.id == p.recommendation?.penalty ? "（建议）" : ""), selected: c.id == recommended)
        }
        choices.append(Choice(id: PenaltyDecision.dismissed, label: PenaltyDecision.dismissedName, selected: recommended == PenaltyDecision.dismissed))
        let procedure = pack.scoring.penaltyProcedure
        let roleNames = { (ids: [String]) in ids.map { pack.role($0)?.name ?? $0 }.joined(separator: "、") }
        var decideNote: String?
        if p.decision == nil {
            if steps.decideAfterPeriod {
                decideNote = "考核期间 \(time(p.recommendation?.period.end)) 结束后方可决定。"
            } else if !steps.decide {
                decideNote = procedure.map { "待\(roleNames($0.decidedBy))决定。" } ?? "规则包没有规定处罚程序，无人可以决定处罚。"
            }
        }
        var appealNote: String?
        if let d = p.decision, p.appeal == nil, !steps.appeal {
            if d.isDismissal { appealNote = nil } else if let deadline = d.appealDeadline {
                appealNote = now > deadline ? "申诉期限已于 \(time(deadline)) 届满，决定已生效。"
                    : "当事人或其所在单位负责人可在 \(time(deadline)) 前申诉。"
            } else {
                appealNote = "规则包不允许申诉，本决定为最终决定。"
            }
        }
        let outcome = form["outcome"] ?? ""
        let outcomes = PenaltyAppealOutcome.allCases.map { o in Choice(id: o.rawValue, label: Self.outcomeName(o), selected: o.rawValue == outcome) }
        let ladder = pack.scoring.penalties.map { c in Choice(id: c.id, label: c.name, selected: c.id == form["new_decision"]) }
        let records = p.history.map { e in
            PenaltyPage.Record(at: time(e.at), who: pack.person(e.actor)?.name ?? e.actor, what: Self.recordName(e.type))
        }
        var page = PenaltyPage(
            chrome: chrome("处罚：\(p.subjectName)", reader, current: "penalties", notice: notice, error: error),
            ref: p.id.description, heading: "处罚建议：\(p.subjectName) · \(PenaltyNotice.periodName(p.id.period))",
            status: st.name, statusKey: st.rawValue, facts: facts,
            evidenceCaption: p.decision == nil ? "扣分明细（依据）" : "扣分明细（决定时的依据）", evidence: evidence, total: total,
            decision: decision, appeal: appeal, noticeHref: p.decision == nil ? nil : "/console/penalties/\(p.id)/notice",
            decide: steps.decide, choices: choices, decideNote: decideNote,
            appealForm: steps.appeal, appealNote: appealNote,
            decideAppeal: steps.decideAppeal, outcomes: outcomes, ladder: ladder, records: records, reason: form["reason"] ?? "")
        page.hasDecision = !decision.isEmpty; page.hasAppeal = !appeal.isEmpty; page.hasRecords = !records.isEmpty
        return Self.html(pages.render(page, "penalty"), status: status)
    }

    static func outcomeName(_ o: PenaltyAppealOutcome) -> String {
        switch o {
        case .upheld: "维持原决定"
        case .changed: "变更处罚"
        case .revoked: "撤销处罚"
        }
    }

    static func recordName(_ type: String) -> String {
        switch type {
        case PenaltyRecordType.decided: "作出处罚决定"
        case PenaltyRecordType.appealed: "提出申诉"
        case PenaltyRecordType.appealDecided: "作出复核决定"
        default: type
        }
    }

    // MARK: Steps

    func penaltyPost(_ step: PenaltyStep, _ request: Request, _ context: KesuRequestContext, _ reader: Reader) async throws -> Response {
        let p = try await visiblePenalty(context, reader)
        let form = try await self.form(request)
        let reason = form["reason"] ?? ""
        let now = api.now()
        do {
            try reader.principal.mayWrite("act on penalties")
        } catch {
            return penaltyResponse(p, reader, notice: nil, error: "您的角色只读，不能办理处罚。", form: form.values, status: .forbidden)
        }
        do {
            switch step {
            case .decide:
                try await engine.decidePenalty(p.id.description, decision: form["decision"] ?? "", reason: reason, by: reader.id, at: now)
            case .appeal:
                try await engine.appealPenalty(p.id.description, reason: reason, by: reader.id, at: now)
            case .decideAppeal:
                guard let outcome = PenaltyAppealOutcome(rawValue: form["outcome"] ?? "") else {
                    return penaltyResponse(p, reader, notice: nil, error: "请选择复核结果。", form: form.values, status: .unprocessableContent)
                }
                let replacement = outcome == .changed ? (form["new_decision"].flatMap { $0.isEmpty ? nil : $0 }) : nil
                if outcome == .changed && replacement == nil {
                    return penaltyResponse(p, reader, notice: nil, error: "变更处罚时请选择新的处罚。", form: form.values, status: .unprocessableContent)
                }
                try await engine.decidePenaltyAppeal(p.id.description, outcome: outcome, decision: replacement, reason: reason,
                                                     by: reader.id, at: now)
            }
        } catch let e as KesuError {
            let fresh = (try? await engine.penalty(p.id.description, at: now)) ?? p
            return penaltyResponse(fresh, reader, notice: nil, error: penaltyWording(e), form: form.values, status: APIError.from(e).status)
        }
        api.logger.info("penalty", metadata: ["penalty": "\(p.id)", "step": "\(step.rawValue)", "user": "\(reader.id)", "via": "console"])
        return Self.redirect("/console/penalties/\(p.id)?done=\(step.rawValue)")
    }

    /// A refusal in the page's words; the kernel's sentence stays underneath for the details.
    func penaltyWording(_ e: KesuError) -> String {
        switch e.code {
        case .missingField: "请填写理由。"
        case .invalidValue, .invalidInput: "所选处罚无效。（\(e.message)）"
        case .forbidden, .unknownUser: "您无权办理这一步。（\(e.message)）"
        case .wrongState: "这项处罚当前不能办理这一步。（\(e.message)）"
        case .conflict: "这项处罚刚被他人办理，请查看最新情况后再试。"
        default: APIError.from(e).message
        }
    }

    // MARK: The written notice

    @Sendable func penaltyNoticePage(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        let p = try await visiblePenalty(context, reader)
        guard p.decision != nil else {
            throw ConsoleError(.conflict, "这项处罚尚未决定：决定作出后才有处罚决定通知书。")
        }
        let n = try PenaltyNotice(p, pack: engine.pack)
        let rows = n.evidence.map { cells in
            PenaltyNoticePage.Row(cells: cells.enumerated().map { i, t in .init(text: t, cls: i == 0 || i == 4 ? "n" : i == 1 || i == 5 ? "nowrap" : "") })
        }
        let page = PenaltyNoticePage(
            chrome: chrome("\(n.title) \(n.number)", reader, current: "penalties"), back: "/console/penalties/\(p.id)",
            title: n.title, number: n.number, preamble: n.preamble, subject: n.subject, header: n.evidenceHeader, evidence: rows,
            total: n.total, decision: n.decision, appeal: n.appeal, hasAppeal: !n.appeal.isEmpty, closing: n.closing,
            signatures: n.signatures)
        return Self.html(pages.render(page, "penalty-notice"))
    }
}

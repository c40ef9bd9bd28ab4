import Foundation
import Hummingbird
import KesuKernel
import KesuRendering
import KesuYAML

extension Console {
    /// Pages for a change, safely: candidate packs, their checks, the replay job, deploy and roll back (rules_admin).
    func registerPackChanges(_ g: RouterGroup<KesuRequestContext>) {
        g.get("rules/changes", use: signedIn(changesPage))
        g.post("rules/changes/upload", use: signedIn(uploadCandidate))
        g.post("rules/changes/folder", use: signedIn(folderCandidate))
        g.get("rules/changes/:id", use: signedIn(candidatePage))
        g.post("rules/changes/:id/replay", use: signedIn(startReplay))
        g.post("rules/changes/:id/replay/cancel", use: signedIn(cancelReplay))
        g.post("rules/changes/:id/deploy", use: signedIn(deployCandidate))
        g.get("rules/history", use: signedIn(historyPage))
        g.get("rules/history/:version", use: signedIn(rollbackPage))
        g.post("rules/history/:version", use: signedIn(rollbackPost))
    }

    /// The largest pack upload: a pack folder zipped is a few hundred KB; this leaves room for calendars and tests.
    static let packUploadLimit = 8 << 20

    // MARK: Candidates

    @Sendable func changesPage(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader, to: "查看和变更规则")
        return try await changesResponse(reader, error: nil, status: .ok)
    }

    func changesResponse(_ reader: Reader, error: String?, status: HTTPResponse.Status) async throws -> Response {
        let candidates = try await api.desk.candidates()
        let rows = candidates.map { c in
            ChangesPage.Row(id: c.id, href: "/console/rules/changes/\(c.id)", source: c.source == .upload ? "上传" : "服务器文件夹",
                            origin: c.origin, by: personName(c.by), at: time(c.at))
        }
        let info = api.rules.info
        let page = ChangesPage(chrome: chrome("变更与发布", reader, current: "rules", error: error), subnav: .make(current: "changes"),
                               inForce: "\(info.label)（版本 \(info.version.prefix(12))）", rows: rows, empty: rows.isEmpty, maxMB: Self.packUploadLimit >> 20)
        return Self.html(pages.render(page, "rules-changes"), status: status)
    }


    @Sendable func uploadCandidate(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader, to: "查看和变更规则")
        let form: MultipartForm
        do { form = try await MultipartForm.read(request, limit: Self.packUploadLimit + CaseRoutes.multipartOverhead) } catch {
            return try await changesResponse(reader, error: "上传失败：\(APIError.from(error).message)", status: .unprocessableContent)
        }
        guard let file = form.part("pack"), let name = file.fileName, !name.isEmpty, !file.body.isEmpty else {
            return try await changesResponse(reader, error: "请选择规则包压缩文件（.zip）。", status: .unprocessableContent)
        }
        let read: (files: [String: String], ignored: [String])
        do { read = try CandidatePacks.files(zip: [UInt8](file.body)) } catch let e as PackArchive.Failure {
            return try await changesResponse(reader, error: "无法读取压缩包“\(name)”：\(e.message)", status: .unprocessableContent)
        }
        let id = try await addCandidate(.upload, origin: name, root: api.rules.rulesPath, read, reader)
        return Self.redirect("/console/rules/changes/\(id)?done=added")
    }

    @Sendable func folderCandidate(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader, to: "查看和变更规则")
        let form = try await self.form(request)
        guard let path = form.text("path"), !path.isEmpty else {
            return try await changesResponse(reader, error: "请填写服务器上规则包文件夹的路径。", status: .unprocessableContent)
        }
        let read: (files: [String: String], ignored: [String])
        do { read = try CandidatePacks.files(folder: path) } catch let e as PackArchive.Failure {
            return try await changesResponse(reader, error: "无法读取文件夹：\(e.message)", status: .unprocessableContent)
        }
        let id = try await addCandidate(.serverFolder, origin: path, root: path, read, reader)
        return Self.redirect("/console/rules/changes/\(id)?done=added")
    }

    /// Keeps the candidate with its test results (its tests run once, now; the checks are repeated on every view).
    func addCandidate(_ source: PackCandidate.Source, origin: String, root: String, _ read: (files: [String: String], ignored: [String]),
                      _ reader: Reader) async throws -> String {
        let id = String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12)).lowercased()
        let c = PackCandidate(id: id, source: source, origin: origin, root: root, files: read.files, by: reader.id, at: api.now(),
                              ignored: read.ignored)
        var tests: CandidateTests?
        if case let .success(loaded) = CandidatePacks.load(c, outside: try await inForceSnapshot()) {
            tests = await CandidatePacks.test(c, pack: loaded.pack)
        }
        try await api.desk.add(c, tests: tests)
        api.logger.notice("rules candidate added", metadata: ["candidate": "\(id)", "origin": "\(origin)", "user": "\(reader.id)"])
        return id
    }

    /// The files of the pack in force, for what a candidate reads outside its folder.
    func inForceSnapshot() async throws -> PackSnapshot? {
        try await engine.store.pack(version: api.rules.info.version)
    }

    func candidateState(_ context: KesuRequestContext) async throws -> RulesDeskRecords.CandidateState {
        let id = try context.parameters.require("id")
        guard let s = try await api.desk.candidate(id) else { throw ConsoleError(.notFound, "没有这个候选规则包：\(id)。") }
        return s
    }

    @Sendable func candidatePage(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader, to: "查看和变更规则")
        let notice: String? = switch request.uri.queryParameters["done"].map(String.init) {
        case "added"?: "候选规则包已上传，校验和测试结果如下。"
        case "replay"?: "已开始重放。"
        case "cancel"?: "已请求取消重放。"
        case "deployed"?: "已发布：新规则已生效，之后登记的案件按新规则办理。"
        default: nil
        }
        return try await candidateResponse(try await candidateState(context), reader, notice: notice, error: nil, status: .ok)
    }

    func candidateResponse(_ s: RulesDeskRecords.CandidateState, _ reader: Reader, notice: String?, error: String?,
                           status: HTTPResponse.Status) async throws -> Response {
        let c = s.candidate
        let outside = try await inForceSnapshot()
        let source = CandidateFileSource(c, outside: outside)
        let loaded = CandidatePacks.load(c, outside: outside)
        let diagnostics: [Diagnostic] = switch loaded {
        case let .success(l): l.warnings
        case let .failure(e): e.diagnostics
        }
        func problem(_ d: Diagnostic) -> CandidatePage.Problem {
            var line: String?
            if d.location.line > 0, let bytes = source.read(d.location.file) {
                let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                if d.location.line <= lines.count { line = String(lines[d.location.line - 1]) }
            }
            return .init(severity: d.severity == .error ? "错误" : "警告", error: d.severity == .error, location: shown(d.location.description),
                         message: d.message, line: line)
        }
        // Files inside the candidate's folder are named as in the folder (routing.yaml:31:5), as the administrator wrote them.
        let prefix = c.root.hasSuffix("/") ? c.root : c.root + "/"
        func shown(_ path: String) -> String { path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path }
        let sorted = diagnostics.sortedByLocation()
        let errors = sorted.filter { $0.severity == .error }.map(problem), warnings = sorted.filter { $0.severity != .error }.map(problem)
        let info = api.rules.info
        var page = CandidatePage(
            chrome: chrome("候选规则包", reader, current: "rules", notice: notice, error: error), subnav: .make(current: "changes"),
            id: c.id, source: c.source == .upload ? "上传的压缩包" : "服务器文件夹", origin: c.origin, by: personName(c.by), at: time(c.at),
            packName: nil, version: nil, inForce: "\(info.label)（版本 \(info.version.prefix(12))）", ignored: c.ignored,
            errors: errors, warnings: warnings, valid: errors.isEmpty, errorCount: errors.count, hasWarnings: !warnings.isEmpty,
            hasIgnored: !c.ignored.isEmpty,
            testsRun: s.tests != nil, tests: [], testProblems: s.tests?.problems ?? [], testsPassed: 0, testsFailed: 0, anyTestFailed: false,
            noTests: s.tests.map { $0.results.isEmpty && $0.problems.isEmpty } ?? false,
            diff: [], sameAsInForce: false,
            replayNone: true, replayRunning: false, replayFinished: false, replayStopped: false, replayMessage: nil, replayDone: 0,
            replayTotal: 0, replayPercent: 0, replayJob: "", replayStale: false, replayAgainst: "", replayStaleAgainst: false,
            examined: 0, considered: 0, changedCount: 0, byKind: [], byUnit: [], changed: [], hasChanged: false, hasByKind: false, hasByUnit: false,
            changedCut: false, selection: nil,
            deployable: false, blockers: [], deployed: s.deployments.map { "\(time($0.at)) 由 \(personName($0.by)) 发布（理由：\($0.reason)）" },
            hasDeployed: !s.deployments.isEmpty)
        if let t = s.tests {
            page.tests = t.results.map { .init(name: $0.name, file: shown($0.file), passed: $0.passed, failures: $0.failures, failed: !$0.passed) }
            page.testsPassed = t.results.filter(\.passed).count
            page.testsFailed = t.failed
            page.anyTestFailed = t.failed > 0
        }
        if case let .success(l) = loaded {
            page.packName = l.pack.info.name
            page.version = String(l.pack.version.prefix(12))
            page.diff = Self.diffRows(PackDiff(old: engine.pack, new: l.pack))
            page.sameAsInForce = l.pack.version == info.version
        }
        if let job = s.replay {
            page.replayNone = false
            page.replayJob = job.job
            page.replayDone = job.done
            page.replayTotal = job.total
            page.replayPercent = job.total > 0 ? min(100, job.done * 100 / job.total) : 0
            page.replayAgainst = String(job.against.prefix(12))
            page.replayStaleAgainst = job.against != info.version
            switch job.status {
            case .running:
                page.replayRunning = true
                // Its instance stopped (no progress for a minute): it may be started again.
                page.replayStale = api.now().timeIntervalSince(job.updatedAt) > 60
                page.chrome.refresh = page.replayStale ? nil : 2
            case .finished:
                page.replayFinished = true
                if let r = job.report {
                    page.examined = r.examined
                    page.considered = r.considered
                    page.selection = r.examined == r.considered
                        ? "库中全部 \(r.considered) 件案件都已重放。"
                        : "库中 \(r.considered) 件案件里，只有这 \(r.examined) 件可能受本次变更影响（其路由、时限、升级或扣分规则有改动），已全部重放；其余案件在两套规则下结果相同，无需重放。"
                    page.changedCount = job.changed ?? r.differences.count
                    page.byKind = (job.byKind ?? r.byKind).sorted { $0.key < $1.key }.map { .init(label: Self.kindLabel($0.key), count: $0.value) }
                    page.byUnit = (job.byUnit ?? r.byUnit).sorted { $0.value > $1.value || $0.value == $1.value && $0.key < $1.key }
                        .map { .init(label: engine.pack.unit($0.key)?.name ?? $0.key, count: $0.value) }
                    let shown = r.differences.prefix(500)
                    page.changedCut = page.changedCount > shown.count
                    page.changed = shown.map { d in
                        .init(number: d.number, href: "/console/cases/\(d.number)", oldUnit: unitName(d.oldUnit), newUnit: unitName(d.newUnit),
                              changes: d.changes.map { changeText($0, of: d) })
                    }
                    page.hasChanged = !page.changed.isEmpty
                    page.hasByKind = !page.byKind.isEmpty
                    page.hasByUnit = !page.byUnit.isEmpty
                }
            case .cancelled:
                page.replayStopped = true
                page.replayMessage = "重放已取消（已重放 \(job.done) / \(job.total) 件）。"
            case .failed:
                page.replayStopped = true
                page.replayMessage = "重放失败：\(job.message ?? "未知原因")"
            }
        }
        var blockers: [String] = []
        if !page.valid { blockers.append("校验有 \(page.errors.count) 个错误：修改规则包后重新上传。") }
        if page.testsFailed > 0 { blockers.append("有 \(page.testsFailed) 项规则包测试未通过。") }
        if page.sameAsInForce { blockers.append("与现行规则相同，无需发布。") }
        if page.replayRunning && !page.replayStale { blockers.append("重放尚未结束：请等待完成或取消后再发布。") }
        page.blockers = blockers
        page.deployable = blockers.isEmpty
        return Self.html(pages.render(page, "rules-candidate"), status: status)
    }

    func unitName(_ id: String?) -> String { id.map { engine.pack.unit($0)?.name ?? $0 } ?? "（无）" }

    /// One change of a replayed case; a new handling unit by the units' names and the routing rules that chose them.
    func changeText(_ c: CaseDifference.Change, of d: CaseDifference) -> String {
        guard c.kind == .handlingUnit else { return "\(Self.kindLabel(c.kind.rawValue))：\(c.what) \(c.old) → \(c.new)" }
        // The kernel writes each side as `unit (rule)`.
        func rule(_ side: String) -> String {
            guard let open = side.lastIndex(of: "("), side.hasSuffix(")") else { return "" }
            let id = side[side.index(after: open)..<side.index(before: side.endIndex)]
            return id == "-" ? "" : "（规则 \(id)）"
        }
        return "\(Self.kindLabel(c.kind.rawValue))：\(unitName(d.oldUnit))\(rule(c.old)) → \(unitName(d.newUnit))\(rule(c.new))"
    }

    static func kindLabel(_ kind: String) -> String {
        switch kind {
        case "handling_unit": "承办单位"
        case "due": "办理时限"
        case "escalations": "升级"
        case "reminders": "提醒"
        case "violations": "违规记录"
        case "points": "扣分"
        case "state": "状态"
        case "refused": "无法按原操作办理"
        default: kind
        }
    }

    static func diffRows(_ diff: PackDiff) -> [CandidatePage.DiffRow] {
        let sections = ["pack": "规则包", "calendar": "工作日历", "calendar.holidays": "节假日", "calendar.workdays": "调休工作日",
                        "roles": "角色", "units": "单位", "people": "人员", "kinds": "类型", "levels": "等级", "categories": "分类",
                        "complainant_types": "投诉人类型", "channels": "渠道", "regions": "地区", "fields": "字段", "routing": "分派规则",
                        "clocks": "时限", "scoring": "考核计分", "procedure.states": "流程状态", "procedure.transitions": "流程步骤"]
        let kinds: [PackDiff.Change.Kind: String] = [.added: "新增", .removed: "删除", .changed: "修改", .moved: "顺序调整"]
        return diff.changes.map { c in
            .init(section: sections[c.section] ?? c.section, id: c.id, kind: kinds[c.kind] ?? c.kind.rawValue, details: c.details)
        }
    }

    // MARK: Replay

    @Sendable func startReplay(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader, to: "查看和变更规则")
        let s = try await candidateState(context)
        if let job = s.replay, job.status == .running, api.now().timeIntervalSince(job.updatedAt) <= 60 {
            return try await candidateResponse(s, reader, notice: nil, error: "重放正在进行。", status: .conflict)
        }
        guard case let .success(loaded) = CandidatePacks.load(s.candidate, outside: try await inForceSnapshot()) else {
            return try await candidateResponse(s, reader, notice: nil, error: "校验未通过的规则包不能重放。", status: .unprocessableContent)
        }
        _ = try await api.replayJobs.start(api: api, candidate: s.candidate.id, old: engine.pack, new: loaded.pack, by: reader.id)
        return Self.redirect("/console/rules/changes/\(s.candidate.id)?done=replay")
    }

    @Sendable func cancelReplay(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader, to: "查看和变更规则")
        let s = try await candidateState(context)
        guard let job = s.replay, job.status == .running else {
            return try await candidateResponse(s, reader, notice: nil, error: "没有正在进行的重放。", status: .conflict)
        }
        try await api.desk.requestCancel(job: job.job, by: reader.id, at: api.now())
        api.replayJobs.cancel(job.job)
        return Self.redirect("/console/rules/changes/\(s.candidate.id)?done=cancel")
    }

    // MARK: Deploy

    @Sendable func deployCandidate(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader, to: "查看和变更规则")
        let s = try await candidateState(context)
        let form = try await self.form(request)
        let reason = form.text("reason") ?? ""
        guard form["confirm"] == "yes" else {
            return try await candidateResponse(s, reader, notice: nil, error: "请勾选确认后再发布。", status: .unprocessableContent)
        }
        guard !reason.isEmpty else {
            return try await candidateResponse(s, reader, notice: nil, error: "请填写发布理由（将记入审计记录）。", status: .unprocessableContent)
        }
        guard case let .success(loaded) = CandidatePacks.load(s.candidate, outside: try await inForceSnapshot()) else {
            return try await candidateResponse(s, reader, notice: nil, error: "校验未通过的规则包不能发布。", status: .unprocessableContent)
        }
        if let t = s.tests, t.failed > 0 {
            return try await candidateResponse(s, reader, notice: nil, error: "规则包测试未通过，不能发布。", status: .unprocessableContent)
        }
        guard loaded.pack.version != api.rules.info.version else {
            return try await candidateResponse(s, reader, notice: nil, error: "与现行规则相同，无需发布。", status: .conflict)
        }
        try await api.deploy(loaded, source: .candidate, origin: s.candidate.origin, candidate: s.candidate.id, by: reader.id, reason: reason)
        return Self.redirect("/console/rules/changes/\(s.candidate.id)?done=deployed")
    }

    // MARK: History and rollback

    @Sendable func historyPage(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader, to: "查看和变更规则")
        let inForce = api.rules.info.version
        let deployments = try await api.desk.deployments()
        let uses = try await engine.store.packVersions()
        var kept: Set<String> = []
        for v in Set(deployments.map(\.version)).union(uses.map(\.version)) where try await engine.store.pack(version: v) != nil { kept.insert(v) }
        let sources: [PackDeployment.Source: String] = [.folder: "规则文件夹", .candidate: "变更发布", .rollback: "回滚"]
        let rows = deployments.reversed().map { d in
            HistoryPage.Row(at: time(d.at), version: String(d.version.prefix(12)), fullVersion: d.version, packName: d.packName,
                            source: sources[d.source] ?? d.source.rawValue,
                            origin: d.source == .rollback ? "回滚到 \(d.origin.prefix(12))" : d.origin,
                            by: d.by == "kesu serve" ? "系统启动" : personName(d.by), reason: d.reason, inForce: false,
                            canRollBack: d.version != inForce && kept.contains(d.version), href: "/console/rules/history/\(d.version)")
        }
        var page = HistoryPage(chrome: chrome("版本记录", reader, current: "rules", notice: request.uri.queryParameters["done"] == "rollback" ? "已回滚，所选版本已生效。" : nil),
                               subnav: .make(current: "history"), rows: rows,
                               kept: uses.sorted { $0.lastUsed > $1.lastUsed }.map { u in
                                   .init(version: String(u.version.prefix(12)), fullVersion: u.version, firstUsed: time(u.firstUsed), lastUsed: time(u.lastUsed),
                                         cases: u.cases, inForce: u.version == inForce, href: "/console/rules/history/\(u.version)",
                                         canRollBack: u.version != inForce && kept.contains(u.version))
                               })
        if let i = page.rows.firstIndex(where: { $0.fullVersion == inForce }) { page.rows[i].inForce = true }
        return Self.html(pages.render(page, "rules-history"))
    }

    func keptVersion(_ context: KesuRequestContext) async throws -> LoadedPack {
        let version = try context.parameters.require("version")
        guard version.count >= 12, let snapshot = try await engine.store.pack(version: version) else {
            throw ConsoleError(.notFound, "存储中没有这个规则版本：\(version)。")
        }
        do { return try RulePackLoader().load(snapshot: snapshot) } catch {
            throw ConsoleError(.unprocessableContent, "版本 \(version.prefix(12)) 的规则文件无法加载：\(error)")
        }
    }

    @Sendable func rollbackPage(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader, to: "查看和变更规则")
        return try await rollbackResponse(try await keptVersion(context), reader, error: nil, status: .ok)
    }

    func rollbackResponse(_ loaded: LoadedPack, _ reader: Reader, error: String?, status: HTTPResponse.Status) async throws -> Response {
        let info = api.rules.info
        let page = RollbackPage(chrome: chrome("回滚规则", reader, current: "rules", error: error), subnav: .make(current: "history"),
                                version: String(loaded.pack.version.prefix(12)), fullVersion: loaded.pack.version, packName: loaded.pack.info.name,
                                inForce: "\(info.label)（版本 \(info.version.prefix(12))）",
                                diff: Self.diffRows(PackDiff(old: engine.pack, new: loaded.pack)))
        return Self.html(pages.render(page, "rules-rollback"), status: status)
    }

    @Sendable func rollbackPost(_ request: Request, context: KesuRequestContext, reader: Reader) async throws -> Response {
        try mustAdministerRules(reader, to: "查看和变更规则")
        let loaded = try await keptVersion(context)
        let form = try await self.form(request)
        let reason = form.text("reason") ?? ""
        guard form["confirm"] == "yes", !reason.isEmpty else {
            return try await rollbackResponse(loaded, reader, error: "请填写回滚理由并勾选确认。", status: .unprocessableContent)
        }
        guard loaded.pack.version != api.rules.info.version else {
            return try await rollbackResponse(loaded, reader, error: "该版本就是现行规则。", status: .conflict)
        }
        try await api.deploy(loaded, source: .rollback, origin: loaded.pack.version, by: reader.id, reason: reason)
        return Self.redirect("/console/rules/history?done=rollback")
    }
}

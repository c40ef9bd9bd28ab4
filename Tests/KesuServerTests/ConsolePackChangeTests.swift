import Foundation
import KesuKernel
import KesuServer
import KesuTestSupport
import KesuYAML
import Testing

/// The change a test administrator makes: settlement complaints with no region go to 企业管理科
/// (a new row above R4b), and the pack's own routing test is updated to say so.
enum RoutingChange {
    static let row = """
      - id: R4c-settlement-unknown-region
        name: (四)电子结算、地区不明 → 企业管理科
        when: {category: e_settlement, region: {missing: true}}
        unit: enterprise_mgmt

    """
    static func apply(_ files: inout [String: String]) {
        files["routing.yaml"] = files["routing.yaml"]!.replacingOccurrences(of: "  - id: R4b-settlement\n", with: row + "  - id: R4b-settlement\n")
        files["tests/routing.yaml"] = files["tests/routing.yaml"]!.replacingOccurrences(
            of: "{name: (四)无地区 → 财务管理科, fields: {category: e_settlement}, handling_unit: finance, routing_rule: R4b-settlement}",
            with: "{name: (四)无地区 → 企业管理科, fields: {category: e_settlement}, handling_unit: enterprise_mgmt, routing_rule: R4c-settlement-unknown-region}")
    }

    /// A copy of the shipped pack (with the calendars beside it, as in rules/) with `edit` applied; returns the pack folder.
    static func folder(_ edit: (inout [String: String]) -> Void) throws -> String {
        let rules = try Paths.temp("kesu-candidate").appendingPathComponent("rules")
        let pack = rules.appendingPathComponent("tobacco-prefecture")
        let fm = FileManager.default
        try fm.createDirectory(at: rules, withIntermediateDirectories: true)
        try fm.copyItem(atPath: Paths.pack("calendars"), toPath: rules.appendingPathComponent("calendars").path)
        var (files, _) = try CandidatePacks.files(folder: Paths.pack("tobacco-prefecture"))
        edit(&files)
        for (path, text) in files {
            let url = pack.appendingPathComponent(path)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return pack.path
    }

    static let settlement = ["channel": "phone", "kind": "complaint", "complainant_type": "retailer", "category": "e_settlement",
                             "description": "结算扣款金额有误"]
}

@Suite("web console: a rules change, safely — candidate, checks, replay, deploy, roll back")
struct ConsolePackChangeTests {
    func run(_ f: ServerFixture, _ body: @escaping @Sendable (@Sendable () -> Browser) async throws -> Void) async throws {
        try await f.app.test(.router) { client in try await body { Browser(client) } }
    }

    static func waitForReplay(_ store: any CaseStore, _ candidate: String) async throws -> ReplayJobRecord {
        for _ in 0..<300 {
            if let job = try await RulesDeskRecords(store: store).candidate(candidate)?.replay, job.status != .running { return job }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CancellationError()
    }

    @Test("a routing row changed in a folder on the server: checks pass, the replay names the stored case it reroutes, deploy needs a confirmation and a reason, the next complaint routes by the new row, and a rollback restores the old routing")
    func deployAndRollBack() async throws {
        let f = try await ConsoleTests.fixture(people: ["wu_jing", "zhao_min"])
        let engine = f.api.rules.engine
        let old = f.api.rules.info.version
        let stored = try await engine.intake(fields: RoutingChange.settlement, by: "zhao_min", at: f.clock.now).state
        #expect(stored.handlingUnit == "finance")
        // A complaint with a region: the new row cannot reach it, so the replay does not replay it.
        var withRegion = RoutingChange.settlement
        withRegion["region"] = "county_a"
        _ = try await engine.intake(fields: withRegion, by: "zhao_min", at: f.clock.now)
        let folder = try RoutingChange.folder(RoutingChange.apply)
        try await run(f) { browser in
            let b = browser()
            _ = try await b.signIn("wu_jing", ConsoleTests.password)
            let list = try await b.get("/console/rules/changes")
            #expect(list.status == 200 && list.has("id=\"folder-pack\"") && list.has("id=\"upload-pack\""))
            let added = try await b.post("/console/rules/changes/folder", ["csrf": list.csrf ?? "", "path": folder])
            #expect(added.status == 303)
            let href = try #require(added.location?.split(separator: "?").first.map(String.init))
            let id = String(href.split(separator: "/").last!)
            var page = try await b.get(href + "?done=added")
            #expect(page.has("id=\"validation-ok\""))
            #expect(page.text(id: "tests-summary")?.contains("未通过 0 项") == true)
            #expect(page.has("R4c-settlement-unknown-region"))
            #expect(page.has("id=\"deploy-form\""))
            // Nothing is written to cases before deploy: the pack in force is unchanged.
            #expect(f.api.rules.info.version == old)

            #expect(try await b.post(href + "/replay", ["csrf": page.csrf ?? ""]).status == 303)
            let job = try await Self.waitForReplay(f.store, id)
            #expect(job.status == .finished)
            #expect(job.changed == 1)
            page = try await b.get(href)
            #expect(page.has("data-case=\"\(stored.number)\""))
            #expect(page.has("承办单位：财务管理科(资金结算中心)（规则 R4b-settlement） → 企业管理科（规则 R4c-settlement-unknown-region）"))
            #expect(page.has("财务管理科") && page.has("企业管理科"))
            #expect(page.text(id: "replay-changed") == "1")
            #expect(job.report?.considered == 2 && job.report?.examined == 1)
            #expect(page.text(id: "replay-selection")?.contains("库中 2 件案件里，只有这 1 件可能受本次变更影响") == true)

            // Without the confirmation, or without a reason: refused, nothing changes.
            let unconfirmed = try await b.post(href + "/deploy", ["csrf": page.csrf ?? "", "reason": "结算投诉无地区时由企业管理科处理"])
            #expect(unconfirmed.status == 422 && unconfirmed.has("请勾选确认"))
            let noReason = try await b.post(href + "/deploy", ["csrf": page.csrf ?? "", "confirm": "yes", "reason": " "])
            #expect(noReason.status == 422)
            #expect(f.api.rules.info.version == old)
            #expect(try await RulesDeskRecords(store: f.store).deployments().isEmpty)

            let deployed = try await b.post(href + "/deploy", ["csrf": page.csrf ?? "", "confirm": "yes", "reason": "结算投诉无地区时由企业管理科处理"])
            #expect(deployed.status == 303)
            let new = f.api.rules.info.version
            #expect(new != old)
            let audit = try #require(try await RulesDeskRecords(store: f.store).deployments().last)
            #expect(audit.by == "wu_jing" && audit.reason == "结算投诉无地区时由企业管理科处理" && audit.source == .candidate)
            #expect(audit.previous == old && audit.version == new && audit.origin == folder)
            let next = try await f.api.rules.engine.intake(fields: RoutingChange.settlement, by: "zhao_min", at: f.clock.now).state
            #expect(next.handlingUnit == "enterprise_mgmt" && next.routingRule == "R4c-settlement-unknown-region")
            // The stored case keeps the unit it was routed to.
            #expect(try await f.api.rules.engine.history(stored.number).0.handlingUnit == "finance")
            page = try await b.get(href)
            #expect(page.has("id=\"deployed\"") && page.has("与现行规则相同"))

            // Roll back to the version before, from the history page.
            let history = try await b.get("/console/rules/history")
            #expect(history.has("data-version=\"\(new)\" class=\"in-force\""))
            #expect(history.has("href=\"/console/rules/history/\(old)\""))
            let confirm = try await b.get("/console/rules/history/\(old)")
            #expect(confirm.status == 200 && confirm.has("R4c-settlement-unknown-region"))
            let refused = try await b.post("/console/rules/history/\(old)", ["csrf": confirm.csrf ?? "", "reason": "回滚"])
            #expect(refused.status == 422 && f.api.rules.info.version == new)
            let rolled = try await b.post("/console/rules/history/\(old)", ["csrf": confirm.csrf ?? "", "confirm": "yes", "reason": "新规则有误，先恢复"])
            #expect(rolled.status == 303)
            #expect(f.api.rules.info.version == old)
            let after = try await f.api.rules.engine.intake(fields: RoutingChange.settlement, by: "zhao_min", at: f.clock.now).state
            #expect(after.handlingUnit == "finance" && after.routingRule == "R4b-settlement")
            let trail = try await RulesDeskRecords(store: f.store).deployments()
            #expect(trail.map(\.source) == [.candidate, .rollback])
            #expect(trail.last?.by == "wu_jing" && trail.last?.reason == "新规则有误，先恢复")
        }
    }

    @Test("a broken candidate uploaded as a zip shows each error at file:line with its source line, and cannot be replayed or deployed")
    func brokenCandidate() async throws {
        let f = try await ConsoleTests.fixture(people: ["wu_jing"])
        let old = f.api.rules.info.version
        let folder = try RoutingChange.folder { files in
            files["routing.yaml"] = files["routing.yaml"]!.replacingOccurrences(of: "    unit: finance\n", with: "    unit: finance_dept\n")
        }
        let zip = ZipWriter.zip(try ZipWriter.files(of: URL(fileURLWithPath: folder), prefix: "tobacco-prefecture"))
        try await run(f) { browser in
            let b = browser()
            _ = try await b.signIn("wu_jing", ConsoleTests.password)
            let list = try await b.get("/console/rules/changes")
            var form = MultipartBody()
            form.field("csrf", list.csrf ?? "")
            form.file("pack", fileName: "新规则.zip", type: "application/zip", Data(zip))
            let added = try await b.post("/console/rules/changes/upload", multipart: form)
            #expect(added.status == 303)
            let href = try #require(added.location?.split(separator: "?").first.map(String.init))
            let page = try await b.get(href)
            #expect(page.has("id=\"validation-failed\""))
            let line = try #require(try String(contentsOfFile: folder + "/routing.yaml", encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0 == "  - id: R4b-settlement" }) + 1
            #expect(page.has(">routing.yaml:\(line):"))
            // The row that names the unknown unit, with its source line and the units it could name.
            #expect(page.has("<pre><code>  - id: R4b-settlement</code></pre>") && page.has("finance_dept"))
            #expect(!page.has("id=\"deploy-form\"") && page.has("id=\"deploy-blockers\""))
            let deploy = try await b.post(href + "/deploy", ["csrf": page.csrf ?? "", "confirm": "yes", "reason": "试试"])
            #expect(deploy.status == 422)
            let replay = try await b.post(href + "/replay", ["csrf": page.csrf ?? ""])
            #expect(replay.status == 422)
            #expect(f.api.rules.info.version == old)
            #expect(try await RulesDeskRecords(store: f.store).deployments().isEmpty)

            // Not a zip at all: said on the list page, nothing kept.
            var junk = MultipartBody()
            junk.field("csrf", list.csrf ?? "")
            junk.file("pack", fileName: "notes.zip", type: "application/zip", Data("not an archive".utf8))
            let refused = try await b.post("/console/rules/changes/upload", multipart: junk)
            #expect(refused.status == 422 && refused.has("无法读取压缩包"))
            #expect(try await RulesDeskRecords(store: f.store).candidates().count == 1)
        }
    }

    @Test("only a rules administrator sees the change pages; a clerk is refused and nothing is added")
    func onlyAdministrators() async throws {
        let f = try await ConsoleTests.fixture(people: ["zhao_min"])
        try await run(f) { browser in
            let b = browser()
            _ = try await b.signIn("zhao_min", ConsoleTests.password)
            #expect(try await b.get("/console/rules/changes").status == 403)
            #expect(try await b.get("/console/rules/history").status == 403)
            let queue = try await b.get("/console/")
            let post = try await b.post("/console/rules/changes/folder", ["csrf": queue.csrf ?? "", "path": Paths.pack("tobacco-prefecture")])
            #expect(post.status == 403)
            #expect(try await RulesDeskRecords(store: f.store).candidates().isEmpty)
        }
    }

    @Test("at start the store's latest deployment stays in force over an unchanged folder; a changed folder is deployed instead; other instances follow")
    func startAndFollow() async throws {
        let f = try await ConsoleTests.fixture(people: ["wu_jing"])
        try await f.api.reconcileDeployments()
        let folderVersion = f.api.rules.info.version
        #expect(try await RulesDeskRecords(store: f.store).deployments().map(\.source) == [.folder])
        // A desk deployment on this instance…
        let candidate = try RulePackLoader().load(directory: try RoutingChange.folder(RoutingChange.apply))
        try await f.api.deploy(candidate, source: .candidate, origin: "test", by: "wu_jing", reason: "测试")
        // …is followed by a second instance on the same store, and survives its restart with the same folder.
        let second = try await ServerFixture.make(store: f.store, at: "2026-10-12T09:00:00+08:00", instance: "second")
        #expect(second.api.rules.info.version == folderVersion)
        try await second.api.reconcileDeployments()
        #expect(second.api.rules.info.version == candidate.pack.version)
        // A restart with a changed folder puts the folder in force (and records it).
        let edited = try RoutingChange.folder { $0["pack.yaml"]! += "\n# edited on disk\n" }
        let third = try await ServerFixture.make(pack: edited, store: f.store, at: "2026-10-12T09:00:00+08:00", instance: "third")
        try await third.api.reconcileDeployments()
        #expect(third.api.rules.info.version != candidate.pack.version)
        let trail = try await RulesDeskRecords(store: f.store).deployments()
        #expect(trail.map(\.source) == [.folder, .candidate, .folder])
        // The first instance follows on its next tick.
        try await f.api.followDeployments()
        #expect(f.api.rules.info.version == third.api.rules.info.version)
    }
}

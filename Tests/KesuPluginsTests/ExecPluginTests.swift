import Foundation
import KesuKernel
import KesuPlugins
import Testing

@Suite struct ConformanceKitTests {
    func assertPasses(_ checks: [PluginCheck]) {
        for c in checks { #expect(c.passed, "\(c)") }
        #expect(checks.count >= 8)
    }

    @Test func templatePasses() { assertPasses(PluginConformance.run(directory: Fixture.plugin("template"))) }

    @Test func hotlineScorerPasses() {
        let checks = PluginConformance.run(directory: Fixture.plugin("hotline-scorer"))
        assertPasses(checks)
        #expect(checks.contains { $0.name == "deterministic" && $0.passed })
    }

    @Test func wecomRobotPassesAgainstALocalWebhook() async throws {
        let server = try WebhookServer()
        defer { server.stop() }
        assertPasses(PluginConformance.run(directory: Fixture.plugin("wecom-robot"), options: ["url": .string(server.url)]))
        // The kit's sample is marked as a test: the robot builds it but posts nothing to the group. The first
        // message the group receives is the real one sent after the kit.
        let notifier = try ExecNotifier(directory: Fixture.plugin("wecom-robot"), options: ["url": .string(server.url)])
        defer { notifier.plugin.shutdown() }
        try await notifier.deliver(KesuKernel.Notification(kind: .reminder, caseNumber: "TS-2026-000002", recipients: [], text: "真实提醒",
                                                           at: Date(timeIntervalSince1970: 1_790_000_000)))
        let first = server.nextLine()
        #expect(first.contains("TS-2026-000002") && !first.contains("KIT-0001"), "\(first)")
    }

    @Test func theKitsSampleIsMarkedAsATest() {
        let params = ExecNotifier.params(PluginConformance.sampleNotification, test: true)
        #expect(params["test"]?.bool == true)
        #expect(params["notification"]?["text"]?.string?.hasPrefix("【测试】") == true)
        #expect(ExecNotifier.params(PluginConformance.sampleNotification)["test"] == nil, "real deliveries carry no test flag")
    }

    @Test func brokenFails() {
        let checks = PluginConformance.run(directory: Fixture.plugin("broken"), options: ["mode": "garbage"])
        #expect(checks.first { $0.name == "handshake" }?.passed == true)
        #expect(checks.first { $0.name == "health" }?.passed == false)
        #expect(checks.first { $0.name == "version mismatch refused" }?.passed == false)
    }
}

@Suite struct WecomRobotTests {
    let notification = KesuKernel.Notification(kind: .reminder, caseNumber: "TS-2026-000001", recipients: ["zhangsan", "13800000000"],
                                               text: "请于今天内答复", at: Date(timeIntervalSince1970: 1_790_000_000))

    @Test func postsTheWeComTextMessage() async throws {
        let server = try WebhookServer()
        defer { server.stop() }
        let notifier = try ExecNotifier(directory: Fixture.plugin("wecom-robot"), options: ["url": .string(server.url)])
        defer { notifier.plugin.shutdown() }
        try await notifier.deliver(notification)
        #expect(server.nextLine() == #"/robot/send?key=test {"msgtype": "text", "text": {"content": "【提醒】TS-2026-000001 请于今天内答复", "mentioned_list": ["zhangsan"], "mentioned_mobile_list": ["13800000000"]}}"#)
    }

    @Test func postsTheDingTalkTextMessage() async throws {
        let server = try WebhookServer()
        defer { server.stop() }
        let notifier = try ExecNotifier(directory: Fixture.plugin("wecom-robot"),
                                        options: ["url": .string(server.url), "flavour": "dingtalk"])
        defer { notifier.plugin.shutdown() }
        var n = notification
        n.kind = .escalation
        try await notifier.deliver(n)
        #expect(server.nextLine() == #"/robot/send?key=test {"msgtype": "text", "text": {"content": "【督办】TS-2026-000001 请于今天内答复"}, "at": {"atUserIds": ["zhangsan"], "atMobiles": ["13800000000"], "isAtAll": false}}"#)
    }

    @Test func anUnreachableRobotThrowsSoTheOutboxKeepsIt() async throws {
        let notifier = try ExecNotifier(directory: Fixture.plugin("wecom-robot"), options: ["url": "http://127.0.0.1:1/none"])
        defer { notifier.plugin.shutdown() }
        await #expect(throws: ExecPluginError.self) { try await notifier.deliver(notification) }
    }
}

@Suite struct HotlineScorerTests {
    let fact = ScoringFact(kind: .violation("answer_late"), unit: "district-a", person: "li", occurredAt: Date(timeIntervalSince1970: 0), fields: [:])

    @Test func aLateAnswerCostsTheWeightOverTheExpectedVolume() throws {
        let scorer = try ExecScorer(directory: Fixture.plugin("hotline-scorer"))
        defer { scorer.plugin.shutdown() }
        #expect(try scorer.deductions(for: fact, pack: PluginConformance.samplePack)
            == [Deduction(ruleID: "hotline.on_time", subject: ScoreSubject(.unit, "district-a"), points: 0.2)])
        var other = fact
        other.kind = .outcome("closed")
        #expect(try scorer.deductions(for: other, pack: PluginConformance.samplePack).isEmpty)
    }

    @Test func volumesPerUnitAndPersonShare() throws {
        let scorer = try ExecScorer(directory: Fixture.plugin("hotline-scorer"),
                                    options: ["expected_volume_by_unit": ["district-a": 50], "person_share": 0.5])
        defer { scorer.plugin.shutdown() }
        var f = fact
        f.kind = .violation("redispatched")
        #expect(try scorer.deductions(for: f, pack: PluginConformance.samplePack) == [
            Deduction(ruleID: "hotline.redispatch", subject: ScoreSubject(.unit, "district-a"), points: 0.4),
            Deduction(ruleID: "hotline.redispatch", subject: ScoreSubject(.person, "li"), points: 0.2),
        ])
    }
}

@Suite struct BrokenPluginTests {
    static let expected: [(String, ExecPluginError.Reason)] = [
        ("crash", .crashed), ("hang", .timeout), ("garbage", .garbage), ("wrong-shape", .wrongShape),
    ]

    @Test(arguments: ["crash", "hang", "garbage", "wrong-shape"])
    func killedReportedAndRestartedAfterBackoff(mode: String) throws {
        let reason = Self.expected.first { $0.0 == mode }!.1
        let plugin = try Fixture.broken(mode)
        defer { plugin.shutdown() }
        try plugin.start()
        let pid = try #require(plugin.pid)
        let t0 = ContinuousClock.now
        let error = try #require(throws: ExecPluginError.self) { try plugin.health() }
        #expect(t0.duration(to: .now) < .milliseconds(2500))  // deadline 800 ms
        #expect(error.reason == reason)
        #expect(error.plugin == "broken")
        #expect(error.description.contains("plugin 'broken'"))
        #expect(error.description.contains("restarting in 0.3 s"))
        #expect(error.stderr.contains("broken plugin starting in mode \(mode)"))
        #expect(plugin.pid == nil)
        #expect(Fixture.gone(pid), "no zombie left")

        // within the backoff: no restart
        let down = try #require(throws: ExecPluginError.self) { try plugin.health() }
        #expect(down.reason == .down)
        #expect(down.description.contains("restarting in"))
        #expect(plugin.starts == 1)

        // after it: started again (and failing again the same way)
        Thread.sleep(forTimeInterval: 0.4)
        let again = try #require(throws: ExecPluginError.self) { try plugin.health() }
        #expect(plugin.starts == 2)
        #expect(again.reason == reason)
        #expect(again.description.contains("restarting in 0.6 s"))  // backoff doubles
    }

    @Test("an answer that is not the request's JSON-RPC response says what is wrong with it", arguments: [
        ("wrong-id", "with id 99; each answer must carry its request's id"),
        ("no-id", "without an \"id\"; the answer must carry the request's id"),
        ("no-jsonrpc", "no \"jsonrpc\" member; every answer must carry \"jsonrpc\": \"2.0\""),
    ])
    func aMisaddressedAnswerIsNamed(mode: String, says: String) throws {
        let plugin = try Fixture.broken(mode)
        defer { plugin.shutdown() }
        let error = try #require(throws: ExecPluginError.self) { try plugin.health() }
        #expect(error.reason == .wrongShape)
        #expect(error.description.contains("answered 'health'") && error.description.contains(says), "\(error)")
    }

    @Test func aProgramWithoutItsRunBitSaysSo() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kesu-runbit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "id: runbit\nkind: notifier\nversion: 1.0.0\nprotocol: [1]\ncommand: [./run.sh]\n"
            .write(to: dir.appendingPathComponent("plugin.yaml"), atomically: true, encoding: .utf8)
        try "#!/bin/sh\nexec python3 plugin.py\n".write(to: dir.appendingPathComponent("run.sh"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: dir.appendingPathComponent("run.sh").path)
        let plugin = try ExecPlugin(directory: dir.path)
        defer { plugin.shutdown() }
        let error = try #require(throws: ExecPluginError.self) { try plugin.start() }
        #expect(error.description.contains("is there but not executable (no run bit): chmod +x \(dir.path)/run.sh"), "\(error)")
        // A program that is not there at all is named as missing.
        try "id: runbit\nkind: notifier\nversion: 1.0.0\nprotocol: [1]\ncommand: [./start.sh]\n"
            .write(to: dir.appendingPathComponent("plugin.yaml"), atomically: true, encoding: .utf8)
        let missing = try #require(throws: ExecPluginError.self) { try ExecPlugin(directory: dir.path).start() }
        #expect(missing.description.contains("cannot find the program './start.sh' (no such file in the plugin folder)"), "\(missing)")
    }

    @Test func execNotifierWithAHangingPluginThrowsWithinTheTimeout() async throws {
        let clock = FailureClock()
        let notifier = try ExecNotifier(plugin: Fixture.broken("hang", call: .milliseconds(500), log: { clock.log($0) }))
        defer { notifier.plugin.shutdown() }
        try notifier.plugin.start()
        let t0 = ContinuousClock.now
        let n = KesuKernel.Notification(kind: .reminder, caseNumber: "C-1", recipients: [], text: "x", at: Date())
        let error = await #expect(throws: ExecPluginError.self) { try await notifier.deliver(n) }
        #expect(error?.reason == .timeout)
        #expect(error?.message.contains("within 500 ms") == true)
        // measured when the host gave up (a busy test run may resume the awaiting task later)
        let failedAt = try #require(clock.failedAt)
        #expect(t0.duration(to: failedAt) < .milliseconds(1500))
    }

    @Test(arguments: ["crash", "wrong-shape", "garbage"])
    func execScorerFailureThrows(mode: String) throws {
        let scorer = try ExecScorer(plugin: Fixture.broken(mode, kind: .scorer))
        defer { scorer.plugin.shutdown() }
        #expect(throws: ExecPluginError.self) {
            _ = try scorer.deductions(for: PluginConformance.sampleFact, pack: PluginConformance.samplePack)
        }
    }

    @Test func aNotifierIsNotAScorer() throws {
        #expect(throws: ExecPluginError.self) { _ = try ExecScorer(directory: Fixture.plugin("template")) }
    }

    @Test func noCommonProtocolVersionIsRefusedBeforeSpawning() throws {
        var m = try PluginManifestLoader.load(directory: Fixture.plugin("template"))
        m.protocols = [99]
        let plugin = ExecPlugin(manifest: m)
        let e = try #require(throws: ExecPluginError.self) { try plugin.start() }
        #expect(e.reason == .protocolMismatch)
        #expect(plugin.starts == 0)
    }

    @Test func onlyAllowListedEnvironmentReachesThePlugin() throws {
        // template's env is []: a variable of the host is not passed
        setenv("KESU_PLUGIN_SECRET_TEST", "s3cret", 1)
        var m = try PluginManifestLoader.load(directory: Fixture.plugin("template"))
        m.command = ["/usr/bin/env", "python3", "-c", "import os,sys,json\nfor l in sys.stdin:\n m=json.loads(l)\n print(json.dumps({'jsonrpc':'2.0','id':m['id'],'result':{'protocolVersion':1,'capabilities':{'notify':True},'plugin':{'id':'template','version':'1'}} if m['method']=='initialize' else {'env':sorted(os.environ)}}),flush=True)"]
        let plugin = ExecPlugin(manifest: m)
        defer { plugin.shutdown() }
        let r = try plugin.call("env")
        #expect(r["env"]?.array?.contains(.string("KESU_PLUGIN_SECRET_TEST")) == false)
    }
}

@Suite struct ManifestTests {
    @Test func unknownKeysAndKindsAreLocatedWithSuggestions() {
        let text = """
        id: x
        kind: notifer
        version: 1.0.0
        protocol: [1]
        comand: [python3, plugin.py]
        timeouts: {initialise: 10}
        """
        let e = #expect(throws: PluginManifestError.self) { try PluginManifestLoader.parse(text, file: "p/plugin.yaml", directory: "p") }
        let d = e?.description ?? ""
        #expect(d.contains("p/plugin.yaml:2:7: error: unknown kind 'notifer'; did you mean 'notifier'?"))
        #expect(d.contains("p/plugin.yaml:5:1: error: unknown key 'comand' in plugin.yaml; did you mean 'command'?"))
        #expect(d.contains("p/plugin.yaml:6:12: error: unknown key 'initialise' in 'timeouts'; did you mean 'initialize'?"))
        #expect(d.contains("missing required key 'command'"))
    }

    @Test func theExampleManifestsLoad() throws {
        let m = try PluginManifestLoader.load(directory: Fixture.plugin("wecom-robot"))
        #expect(m.id == "wecom-robot" && m.kind == .notifier && m.protocols == [1])
        #expect(m.command == ["python3", "plugin.py"])
        #expect(m.callTimeout == .seconds(10) && m.initializeTimeout == .seconds(5))
        #expect(m.env.contains("HTTPS_PROXY"))
        #expect(m.options["flavour"] == "wecom" && m.options["mention_recipients"] == true)
        #expect(PluginManifestLoader.folders(under: Fixture.packageRoot.appendingPathComponent("plugins").path)
            .map { ($0 as NSString).lastPathComponent }
            == ["broken", "hotline-scorer", "imap-intake", "provincial-center", "sms-gateway", "template", "wecom-robot"])
        let province = try PluginManifestLoader.load(directory: Fixture.plugin("provincial-center"))
        #expect(province.kinds == [.source, .notifier] && province.protocols == [2], "a two-way sync is a source and a notifier")
        #expect(throws: ExecPluginError.self, "a source is not a scorer") { _ = try ExecScorer(directory: Fixture.plugin("imap-intake")) }
    }

    /// Protocol 2 over the real plugin: a source's poll with limit 0 takes nothing; the kit's sample event is
    /// checked and not sent; an event-only plugin refuses reminders with a message that says why.
    @Test func protocolTwoSourceAndEventCalls() async throws {
        setenv("KESU_PROVINCE_TOKEN", "t", 1)
        let source = try ExecSource(directory: Fixture.plugin("provincial-center"), options: ["url": "http://127.0.0.1:9/", "unit_code": "X"])
        defer { source.plugin.shutdown() }
        #expect(try await source.poll(limit: 0).isEmpty)
        #expect(source.plugin.handshake?.protocolVersion == 2 && source.plugin.handshake?.capabilities["poll"] == true)
        let channel = try ExecNotifier(directory: Fixture.plugin("provincial-center"), options: ["url": "http://127.0.0.1:9/"])
        defer { channel.plugin.shutdown() }
        try await channel.deliver(PluginConformance.sampleEventForTests)
        let reminder = KesuKernel.Notification(kind: .reminder, caseNumber: "YC-2026-000001", recipients: ["x"], at: Date())
        let e = await #expect(throws: ExecPluginError.self) { try await channel.deliver(reminder) }
        #expect(e?.description.contains("takes case events only") == true)
    }
}

@Suite struct PluginsCLITests {
    @Test func checkPassesForTemplate() throws {
        let r = try runKesu(["plugins", "check", "plugins/template"])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.stdout.contains("PASS  handshake"))
        #expect(r.stdout.contains("PASS  shutdown exits"))
        #expect(!r.stdout.contains("FAIL"))
    }

    @Test func checkPrintsFailLinesForBroken() throws {
        let r = try runKesu(["plugins", "check", "plugins/broken", "--option", "mode=crash"])
        #expect(r.status == 1)
        #expect(r.stdout.contains("PASS  handshake"))
        #expect(r.stdout.contains("FAIL  health — plugin 'broken':"))
        #expect(r.stdout.contains("FAIL  version mismatch refused"))
        #expect(r.stdout.contains("checks failed"))
    }

    @Test func listShowsInstalledPlugins() throws {
        let r = try runKesu(["plugins", "list", "--json"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("\"id\" : \"hotline-scorer\""))
        #expect(r.stdout.contains("\"health\" : \"ok\""))
        // Each plugin's folder, so an operator knows which copy runs.
        let text = try runKesu(["plugins", "list"])
        #expect(text.stdout.hasPrefix("id\tkind\tversion\tfolder\thealth\n"))
        #expect(text.stdout.contains("template\tnotifier\t1.0.0\tplugins/template\tok"), "\(text.stdout)")
    }
}

/// A scorer plugin is another program: the complainant's personal data reaches it masked.
@Suite struct ExecScorerPayloadTests {
    @Test func personalFieldsAreMaskedInTheScoreParams() {
        var pack = RulePack(
            info: PackInfo(id: "p", name: "p", caseNumberPrefix: "P"), calendar: CalendarRules(businessHours: []), roles: [],
            units: [], people: [], kinds: [], levels: [], categories: [], channels: [], routing: [],
            procedure: ProcedureDef(initialState: "a", states: [], intake: IntakeDef(roles: [], requires: []), transitions: []))
        pack.fields = [FieldDef(id: "id_card", name: "身份证号", personal: true), FieldDef(id: "fault", name: "责任", type: .text)]
        let fact = ScoringFact(kind: .violation("answer_late"), unit: "u", person: "li", occurredAt: Date(timeIntervalSince1970: 0),
                               fields: ["complainant_name": "张三", "complainant_phone": "13812345678", "id_card": "110101199003074512",
                                        "fault": "ours", "level": "general"])
        let fields = ExecScorer.params(fact, pack: pack)["fact"]?["fields"]?.object ?? [:]
        #expect(fields["complainant_name"]?.string == "张*")
        #expect(fields["complainant_phone"]?.string == "138****5678")
        #expect(fields["id_card"]?.string == "110***********4512")
        #expect(fields["fault"]?.string == "ours")
        #expect(fields["level"]?.string == "general")
    }
}

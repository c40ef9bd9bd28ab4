import Foundation
import KesuTestSupport
import KesuKernel
import KesuNotifiers
import KesuYAML
import Testing
@testable import kesu

/// Runs the built `kesu` in a folder of its own with only the arguments given (no --rules/--db).
struct ConfigCLI {
    let dir: URL
    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("kesu-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: file(name), atomically: true, encoding: .utf8)
    }

    @discardableResult
    func run(_ args: [String], env extra: [String: String] = [:]) throws -> KesuCLI.Result {
        try KesuProcess.run(args, in: dir, environment: extra)
    }
}

@Suite struct DeploymentConfigTests {
    static let pack = KesuCLI.pack("tobacco-prefecture")

    func problems(_ text: String) -> [String] {
        let (config, shape) = DeploymentConfigLoader().read(text: text, file: "/srv/kesu/kesu.yaml")
        return (shape + config.check(with: builtInRegistries())).sortedByLocation().map(\.description)
    }

    @Test func aGoodFileReadsEveryPart() throws {
        let (c, d) = DeploymentConfigLoader().read(text: """
            rules: rules/tobacco-prefecture
            storage: {driver: sqlite, path: data/kesu.db}
            notifiers:
              - {name: console, driver: console}
              - {name: log, driver: outbox-file, path: notifications.jsonl}
              - {name: ops, driver: webhook, url: "http://127.0.0.1:9/x", timeout_ms: 2000, retries: 3, headers: {X-Token: abc}}
            scoring: {driver: points}
            """, file: "/srv/kesu/kesu.yaml")
        #expect(d.isEmpty)
        #expect(c.rulesPath == "/srv/kesu/rules/tobacco-prefecture")
        #expect(c.storage?.path("path") == "/srv/kesu/data/kesu.db")
        #expect(c.notifiers?.map(\.name) == ["console", "log", "ops"])
        #expect(c.notifiers?[2].driver.int("timeout_ms") == 2000)
        #expect(c.notifiers?[2].driver["headers"] == .map(["X-Token": .string("abc")]))
        #expect(c.scoring?.driver == "points")
        #expect(c.check(with: builtInRegistries()).isEmpty)
    }

    @Test func unknownDriverWithDidYouMean() {
        #expect(problems("""
            storage:
              driver: sqlit
              path: kesu.db
            """) == ["/srv/kesu/kesu.yaml:2:11: error: unknown storage driver 'sqlit'; did you mean 'sqlite'? known drivers: memory, postgres, sqlite"])
    }

    @Test func unknownOptionAtItsKeyWithDidYouMean() {
        #expect(problems("""
            storage:
              driver: sqlite
              pth: kesu.db
            """) == ["/srv/kesu/kesu.yaml:3:3: error: unknown option 'pth' for storage driver 'sqlite'; did you mean 'path'? known options: path, lookup_key_file, lookup_key_env"])
    }

    @Test func missingRequiredOptionAtTheDriver() {
        #expect(problems("""
            notifiers:
              - name: ops
                driver: webhook
                retries: 3
            """) == ["/srv/kesu/kesu.yaml:3:13: error: notifier driver 'webhook' in notifier 'ops' needs option 'url'"])
    }

    @Test func wrongTypesAtTheirValues() {
        #expect(problems("""
            notifiers:
              - name: ops
                driver: webhook
                url: http://localhost:1/x
                timeout_ms: fast
                headers: [a, b]
            storage: sqlite
            """) == [
                "/srv/kesu/kesu.yaml:5:17: error: expected a whole number for 'timeout_ms' of notifier 'ops', found 'fast'",
                "/srv/kesu/kesu.yaml:6:14: error: expected a mapping for 'headers' of notifier 'ops', found a list",
                "/srv/kesu/kesu.yaml:7:10: error: expected a mapping with a 'driver' for storage, found 'sqlite'",
            ])
    }

    @Test func everyProblemAtOnce() {
        let p = problems("""
            storage: {driver: sqlit}
            notifers: []
            notifiers:
              - {name: a, driver: consol}
              - {name: a, driver: console}
              - {driver: console}
            scoring: {driver: point}
            """)
        #expect(p == [
            "/srv/kesu/kesu.yaml:1:19: error: unknown storage driver 'sqlit'; did you mean 'sqlite'? known drivers: memory, postgres, sqlite",
            "/srv/kesu/kesu.yaml:2:1: error: unknown key 'notifers' in the deployment file; did you mean 'notifiers'?",
            "/srv/kesu/kesu.yaml:4:23: error: unknown notifier driver 'consol' in notifier 'a'; did you mean 'console'? known drivers: console, exec, outbox-file, webhook",
            "/srv/kesu/kesu.yaml:5:12: error: notifier 'a' is named twice (first at /srv/kesu/kesu.yaml:4:12)",
            "/srv/kesu/kesu.yaml:6:5: error: notifier #3 is missing required key 'name'",
            "/srv/kesu/kesu.yaml:7:19: error: unknown scoring driver 'point'; did you mean 'points'? known drivers: exec, points",
        ])
    }

    @Test func yamlSyntaxErrorHasALocation() {
        let p = problems("storage: {driver: sqlite\nnotifiers: [")
        #expect(p.count == 1)
        #expect(p.first?.hasPrefix("/srv/kesu/kesu.yaml:") == true)
    }

    @Test func subscriptionsAndSourcesAreCheckedWhereTheyAreWritten() {
        let p = problems("""
            notifiers:
              - {name: ops, driver: webhook, url: "http://127.0.0.1:9/"}
            subscriptions:
              - {channel: opz, events: [case.registered]}
              - {channel: ops, events: [case.answerd, "transition:"]}
            sources:
              - {name: mail, driver: exce, plugin: plugins/imap-intake}
              - {name: box, driver: exec, plugin: plugins/imap-intake, actor: zhao_min, every: 0}
            """)
        #expect(p.contains { $0.hasPrefix("/srv/kesu/kesu.yaml:4:5: error: subscription to channel 'opz'") && $0.contains("did you mean 'ops'?") }, "\(p)")
        #expect(p.contains { $0.hasPrefix("/srv/kesu/kesu.yaml:5:29: error: unknown event type 'case.answerd'") && $0.contains("did you mean 'case.answered'?") }, "\(p)")
        #expect(p.contains { $0.contains("'transition:' needs a transition id") }, "\(p)")
        #expect(p.contains { $0.contains("source 'mail' needs 'actor'") }, "\(p)")
        #expect(p.contains { $0.contains("for 'every' of source 'box'") }, "\(p)")
        let good = problems("""
            notifiers: [{name: ops, driver: webhook, url: "http://127.0.0.1:9/"}]
            subscriptions: [{channel: ops, events: ["*"], where: {channel: [email, provincial]}, personal_data: true}]
            sources: [{name: mail, driver: exec, plugin: plugins/imap-intake, actor: zhao_min, every: 30, fields: {channel: email}}]
            """)
        #expect(good.isEmpty, "\(good)")
    }

    @Test func badWebhookURLIsRefusedByTheFactory() throws {
        let (c, _) = DeploymentConfigLoader().read(text: "notifiers: [{name: ops, driver: webhook, url: 'ftp://x'}]", file: "k.yaml")
        #expect(throws: ConfigurationError.self) { try builtInRegistries().notifier.make(c.notifiers![0].driver) }
    }

    // MARK: Through the CLI

    @Test func configCheckNamesASourceActorThePackLacksAndShowPrintsSubscriptions() throws {
        let cli = try ConfigCLI()
        let plugins = URL(fileURLWithPath: Self.pack).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("plugins").path
        try cli.write("kesu.yaml", """
            rules: \(Self.pack)
            notifiers: [{name: ops, driver: console}]
            subscriptions: [{channel: ops, events: [case.answered], where: {channel: provincial}}]
            sources:
              - {name: mail, driver: exec, plugin: \(plugins)/imap-intake, actor: zhao_mn}
              - {name: box, driver: exec, plugin: \(plugins)/imap-intake, actor: gao_peng}
            """)
        let r = try cli.run(["config", "check"])
        #expect(r.status == 1)
        // At the actor's value on line 5 (its column depends on the length of the plugins folder's path).
        #expect(r.stderr.contains(#/kesu\.yaml:5:\d+: error: actor 'zhao_mn' of source 'mail' is not a person of the pack; did you mean 'zhao_min'\?/#), "\(r.stderr)")
        #expect(r.stderr.contains("actor 'gao_peng' (高鹏) of source 'box' may not register cases: the pack lets clerk register"), "\(r.stderr)")
        try cli.write("kesu.yaml", """
            rules: \(Self.pack)
            notifiers: [{name: ops, driver: console}]
            subscriptions: [{channel: ops, events: [case.answered], where: {channel: provincial}}]
            sources: [{name: mail, driver: exec, plugin: \(plugins)/imap-intake, actor: zhao_min, every: 30}]
            """)
        #expect(try cli.run(["config", "check"]).status == 0)
        let show = try cli.run(["config", "show"])
        #expect(show.stdout.contains("subscriptions: ops ← case.answered where channel=provincial"), "\(show.stdout)")
        #expect(show.stdout.contains("sources: mail: exec") && show.stdout.contains("every 30 s as zhao_min"), "\(show.stdout)")
    }

    @Test func configCheckPrintsEveryProblemAndExitsOne() throws {
        let cli = try ConfigCLI()
        try cli.write("kesu.yaml", """
            rules: \(Self.pack)
            storage: {driver: sqlit}
            notifiers:
              - {name: log, driver: outbox-file, pth: n.jsonl}
            """)
        let r = try cli.run(["config", "check"])  // ./kesu.yaml by default
        #expect(r.status == 1)
        let f = cli.file("kesu.yaml")
        #expect(r.stderr.contains("kesu.yaml:2:19: error: unknown storage driver 'sqlit'; did you mean 'sqlite'?"))
        #expect(r.stderr.contains("kesu.yaml:4:25: error: notifier driver 'outbox-file' in notifier 'log' needs option 'path'"))
        #expect(r.stderr.contains("kesu.yaml:4:38: error: unknown option 'pth' for notifier driver 'outbox-file' in notifier 'log'; did you mean 'path'?"))
        #expect(r.stderr.contains("kesu.yaml: 3 error(s)"))
        // Any other command refuses to run on it too, with the same diagnostics.
        let list = try cli.run(["list"])
        #expect(list.status == 1)
        #expect(list.stderr.contains("configuration refused: 3 error(s)"))

        try cli.write("kesu.yaml", "rules: \(Self.pack)\n")
        let ok = try cli.run(["config", "check", "--config", f])
        #expect(ok.status == 0, "\(ok.stderr)")
        let show = try cli.run(["config", "show", "--json"])
        #expect(show.status == 0, "\(show.stderr)")
        #expect((show.json["storage"] as? [String: Any])?["driver"] as? String == "sqlite")
        #expect(show.json["rules"] as? String == Self.pack)
    }

    @Test func switchingNotifiersInTheFileChangesWhereTheSweepNotifies() throws {
        let cli = try ConfigCLI()
        let config = cli.file("deploy.yaml")
        try cli.write("deploy.yaml", """
            rules: \(Self.pack)
            storage: {driver: sqlite, path: kesu.db}
            notifiers:
              - {name: console, driver: console}
            """)
        let first = try cli.run(["sweep", "--config", config, "--now", "2026-09-30T15:00:00+08:00"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("notify [violation]"))
        #expect(!FileManager.default.fileExists(atPath: cli.file("notifications.jsonl")))

        // Same binary, same store: only the file changes.
        try cli.write("deploy.yaml", """
            rules: \(Self.pack)
            storage: {driver: sqlite, path: kesu.db}
            notifiers:
              - name: log
                driver: outbox-file
                path: notifications.jsonl
            """)
        let second = try cli.run(["sweep", "--json", "--now", "2026-12-10T10:00:00+08:00"], env: ["KESU_CONFIG": config])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(!second.stderr.contains("notify ["))
        let text = try String(contentsOfFile: cli.file("notifications.jsonl"), encoding: .utf8)
        let all = text.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        // December 2026: the official holiday calendar ends within 60 days, so the administrators hear about it too.
        #expect(all.filter { $0?["kind"] as? String == "calendar" }.count == 1)
        let lines = all.filter { $0?["kind"] as? String != "calendar" }
        #expect(lines.count >= 1)
        #expect(lines.allSatisfy { $0?["kind"] as? String == "reminder" })
        #expect(lines.contains { ($0?["case"] as? String ?? "").hasPrefix("report:2026Q4:") })
        #expect(lines.allSatisfy { $0?["at"] as? String == "2026-12-10T02:00:00Z" })
        let reports = (second.json["reports"] as? [[String: Any]]) ?? []
        #expect(reports.count == lines.count)
    }

    @Test func memoryStorageRunsACommandAndLeavesNoDatabase() throws {
        let cli = try ConfigCLI()
        try cli.write("kesu.yaml", "rules: \(Self.pack)\nstorage:\n  driver: memory\n")
        let r = try cli.run([
            "intake", "--json", "--field", "channel=phone", "--field", "kind=complaint", "--field", "complainant_type=retailer",
            "--field", "category=logistics_service", "--field", "description=送货员送货不及时",
            "--now", "2026-09-30T10:00:00+08:00", "--as", "zhao_min",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.json["number"] as? String == "YC-2026-000001")
        #expect(!FileManager.default.fileExists(atPath: cli.file("kesu.db")))
        // --db overrides the file's storage.
        let list = try cli.run(["list", "--json", "--db", cli.file("other.db")])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(FileManager.default.fileExists(atPath: cli.file("other.db")))
    }

    @Test func theLookupKeyComesFromTheFileOrTheEnvironmentAndAnotherIsRefused() throws {
        let cli = try ConfigCLI()
        let intake = ["intake", "--json", "--field", "channel=phone", "--field", "kind=complaint", "--field", "complainant_type=retailer",
                      "--field", "category=logistics_service", "--field", "description=送货员送货不及时",
                      "--field", "complainant_phone=138 1234 5678", "--now", "2026-09-30T10:00:00+08:00", "--as", "zhao_min"]
        // Default: a key file beside the database, made at first use, owner-only.
        try cli.write("kesu.yaml", "rules: \(Self.pack)\n")
        #expect(try cli.run(intake).status == 0)
        let made = try String(contentsOfFile: cli.file("kesu.db.lookup-key"), encoding: .utf8)
        #expect(made.count == 65)
        #expect(try FileManager.default.attributesOfItem(atPath: cli.file("kesu.db.lookup-key"))[.posixPermissions] as? Int == 0o600)
        // Named by the environment: a variable that is not set is an error at its value.
        try cli.write("kesu.yaml", "rules: \(Self.pack)\nstorage:\n  driver: sqlite\n  lookup_key_env: KESU_TEST_KEY\n")
        let unset = try cli.run(["list"])
        #expect(unset.status != 0)
        #expect(unset.stderr.contains("kesu.yaml:4:19: error: the environment variable 'KESU_TEST_KEY' that holds the lookup key"), "\(unset.stderr)")
        // The same key through the variable opens the database; another is refused with what to do, and nothing is written.
        let same = try cli.run(["list", "--json"], env: ["KESU_TEST_KEY": made.trimmingCharacters(in: .newlines)])
        #expect(same.status == 0, "\(same.stderr)")
        let other = try cli.run(intake, env: ["KESU_TEST_KEY": "another deployment's key, 32 bytes"])
        #expect(other.status != 0)
        let said = other.stderr + other.stdout   // --json: the error is the JSON document
        #expect(said.contains("another lookup key") && said.contains("lookup_key_file"), "\(said)")
        let after = try cli.run(["list", "--json"], env: ["KESU_TEST_KEY": made.trimmingCharacters(in: .newlines)])
        #expect(after.json["total"] as? Int == 1, "\(after.stdout)")
        // A key file too short to be a key.
        try cli.write("short.key", "tiny\n")
        try cli.write("kesu.yaml", "rules: \(Self.pack)\nstorage:\n  driver: sqlite\n  path: b.db\n  lookup_key_file: short.key\n")
        let short = try cli.run(["list"])
        #expect(short.stderr.contains("kesu.yaml:5:20: error: the lookup key file") && short.stderr.contains("at least 16 bytes"), "\(short.stderr)")
    }
}

// MARK: Webhook

/// A tiny HTTP server in python3 that answers POSTs with the given statuses in turn (the last
/// one repeated) and appends each body as a line to a file.
final class RecordingServer {
    let process = Process()
    let port: Int
    let bodies: String

    static let script = """
        import sys, os, signal, threading, http.server, json
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
        threading.Timer(120, lambda: os._exit(0)).start()
        statuses = [int(s) for s in sys.argv[1].split(',')]
        bodies = sys.argv[2]
        count = [0]
        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
                with open(bodies, 'ab') as f: f.write(body + b'\\n')
                with open(bodies + '.h', 'a') as f: f.write(json.dumps({k.lower(): v for k, v in self.headers.items()}) + '\\n')
                status = statuses[min(count[0], len(statuses) - 1)]
                count[0] += 1
                self.send_response(status)
                self.send_header('Content-Length', '0')
                self.end_headers()
            def log_message(self, *a): pass
        s = http.server.HTTPServer(('127.0.0.1', 0), H)
        print(s.server_address[1], flush=True)
        s.serve_forever()
        """

    init(statuses: [Int]) throws {
        bodies = FileManager.default.temporaryDirectory.appendingPathComponent("kesu-webhook-\(UUID().uuidString).txt").path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script, statuses.map(String.init).joined(separator: ","), bodies]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    var url: URL { URL(string: "http://127.0.0.1:\(port)/kesu")! }

    var received: [[String: Any]] {
        let text = (try? String(contentsOfFile: bodies, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// Each request's headers, names in lower case.
    var receivedHeaders: [[String: String]] {
        let text = (try? String(contentsOfFile: bodies + ".h", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] }
    }

    deinit {
        // SIGKILL: a child of the test runner may inherit a mask that blocks SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: bodies)
        try? FileManager.default.removeItem(atPath: bodies + ".h")
    }
}

@Suite(.serialized) struct WebhookNotifierTests {
    let n = KesuKernel.Notification(kind: .reminder, caseNumber: "YC-2026-000001", recipients: ["liu_yang"], text: "请及时办理",
                                    at: Date(timeIntervalSince1970: 1_790_000_000))

    @Test func retriesAfterAServerErrorThenSucceeds() async throws {
        let server = try RecordingServer(statuses: [500, 200])
        #expect(server.port > 0)
        let hook = WebhookNotifier(url: server.url, timeout: .seconds(5), retries: 3, backoff: .milliseconds(20))
        try await hook.deliver(n)
        let got = server.received
        #expect(got.count == 2)
        #expect(got.allSatisfy { $0["case"] as? String == "YC-2026-000001" && $0["kind"] as? String == "reminder" })
        #expect(got.first?["recipients"] as? [String] == ["liu_yang"])
        #expect(got.first?["text"] as? String == "请及时办理")
        // The webhook body is the notification's one JSON form, as exec plugins and files get it.
        #expect(Set(got.first?.keys.map { $0 } ?? []) == Set(n.payload.object?.keys.map { $0 } ?? ["?"]))
    }

    @Test func aSecretSignsEveryTryAndAnEventNamesItself() async throws {
        let server = try RecordingServer(statuses: [500, 200])
        let hook = WebhookNotifier(url: server.url, timeout: .seconds(5), retries: 1, backoff: .milliseconds(20),
                                   secret: Array("s3cret".utf8), now: { Date(timeIntervalSince1970: 1_790_000_123) })
        var state = CaseState()
        let e = Event(caseID: 1, seq: 1, at: n.at, actor: "zhao_min", packVersion: "v",
                      body: .intake(number: "YC-2026-000001", state: "registered", fields: ["description": "x"]))
        state.apply(e)
        var event = KesuKernel.Notification.caseEvent(CaseEvents.json(e, after: state, pack: TestPack.make(), personalData: false),
                                                      number: "YC-2026-000001", type: "case.registered", at: n.at)
        event.id = 41
        try await hook.deliver(event)
        let headers = server.receivedHeaders
        #expect(headers.count == 2)
        let body = Data(NotificationJSON.data(event))
        let expected = "sha256=" + HMACSHA256.hex(key: Array("s3cret".utf8), message: Array("1790000123.".utf8) + Array(body))
        for h in headers {
            #expect(h["kesu-signature"] == expected && h["kesu-timestamp"] == "1790000123")
            #expect(h["kesu-event-id"] == "YC-2026-000001:1" && h["kesu-event-type"] == "case.registered" && h["kesu-delivery"] == "41")
        }
        #expect(server.received.first?["id"] as? String == "YC-2026-000001:1", "the body is the event itself")
    }

    @Test func failsAfterTheLastRetry() async throws {
        let server = try RecordingServer(statuses: [503])
        let hook = WebhookNotifier(url: server.url, timeout: .seconds(5), retries: 2, backoff: .milliseconds(20))
        await #expect(throws: NotifierError.self) { try await hook.deliver(n) }
        #expect(server.received.count == 3)
    }

    @Test func aFailedChannelIsNamedByTheFanOut() async throws {
        let server = try RecordingServer(statuses: [500])
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("kesu-outbox-\(UUID().uuidString).jsonl").path
        let fan = FanOutNotifier(channels: [
            ("ops", WebhookNotifier(url: server.url, retries: 0, backoff: .milliseconds(1))),
            ("log", OutboxFileNotifier(path: log)),
        ])
        do {
            try await fan.deliver(n)
            Issue.record("expected the webhook to fail")
        } catch let e as FanOutError {
            #expect(e.channels == ["ops"])
            #expect(e.description.contains("HTTP 500"))
        }
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1)
        try? FileManager.default.removeItem(atPath: log)
    }

    @Test func anUnreachableServerFailsWithinTheTimeout() async throws {
        // Nothing listens on port 9 (discard) on a test machine: connection refused, every try.
        let hook = WebhookNotifier(url: URL(string: "http://127.0.0.1:9/x")!, timeout: .seconds(2), retries: 1, backoff: .milliseconds(10))
        let start = Date()
        await #expect(throws: NotifierError.self) { try await hook.deliver(n) }
        #expect(Date().timeIntervalSince(start) < 10)
    }
}

import Foundation
import KesuKernel

/// One check of the conformance kit.
public struct PluginCheck: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var passed: Bool
    public var detail: String
    public var description: String { "\(passed ? "PASS" : "FAIL")  \(name)\(detail.isEmpty ? "" : " — \(detail)")" }
}

/// The checks every exec plugin must pass (used by `kesu plugins check` and by the tests; it
/// imports no test framework). A notifier gets a sample reminder marked as a test (`"test": true`), a
/// scorer a sample fact.
public enum PluginConformance {
    public static let sampleNotification = KesuKernel.Notification(
        kind: .reminder, caseNumber: "KIT-0001", recipients: ["kit-user"], text: "【测试】conformance kit: a sample reminder, not a case",
        at: Date(timeIntervalSince1970: 1_790_000_000), clock: "answer", run: 1, rule: "answer_ladder#1", step: 1,
        dueAt: Date(timeIntervalSince1970: 1_790_100_000), unit: "unit-a", id: 1)

    public static let sampleFact = ScoringFact(
        kind: .violation("answer_late"), unit: "unit-a", person: "person-a",
        occurredAt: Date(timeIntervalSince1970: 1_790_000_000), fields: ["level": "normal"])

    public static let samplePack = RulePack(
        info: PackInfo(id: "kit", name: "conformance kit", caseNumberPrefix: "KIT"),
        calendar: CalendarRules(businessHours: []), roles: [], units: [], people: [], kinds: [], levels: [],
        categories: [], channels: [], routing: [],
        procedure: ProcedureDef(initialState: "open", states: [], intake: IntakeDef(roles: [], requires: []), transitions: []),
        scoring: ScoringDef(baseline: 100, violations: [Choice(id: "answer_late", name: "answer late")],
                            rules: [ScoringRule(id: "late", on: .violation("answer_late"), unitPoints: 1, personPoints: 1)]))

    /// Runs every check on the plugin in `directory`; `options` override the manifest's.
    public static func run(directory: String, options: [String: JSONValue] = [:],
                           backoff: ExecPlugin.Backoff = .init(initial: .milliseconds(200), max: .seconds(1))) -> [PluginCheck] {
        var checks: [PluginCheck] = []
        func check(_ name: String, _ body: () throws -> String) {
            do { checks.append(PluginCheck(name: name, passed: true, detail: try body())) }
            catch { checks.append(PluginCheck(name: name, passed: false, detail: "\(error)")) }
        }
        let manifest: PluginManifest
        do {
            manifest = try PluginManifestLoader.load(directory: directory).with(options: options)
            checks.append(PluginCheck(name: "manifest", passed: true, detail: "\(manifest.id) \(manifest.kind.rawValue) \(manifest.version)"))
        } catch {
            return [PluginCheck(name: "manifest", passed: false, detail: "\(error)")]
        }
        let plugin = ExecPlugin(manifest: manifest, backoff: backoff)
        defer { plugin.shutdown() }

        check("handshake") {
            try plugin.start()
            guard let h = plugin.handshake else { throw KitFailure("no handshake") }
            return "protocol \(h.protocolVersion), \(h.pluginID) \(h.pluginVersion)"
        }
        check("version mismatch refused") { try refusesUnknownVersion(manifest) }
        check("health") { try plugin.health(); return "ok" }
        check("call within deadline") {
            let t0 = ContinuousClock.now
            let what = try sampleCall(plugin)
            return "\(what) in \(ExecPlugin.millis(t0.duration(to: .now))) ms (deadline \(ExecPlugin.millis(manifest.callTimeout)) ms)"
        }
        check("answers have the right shape") {
            do {
                _ = try plugin.call("no_such_method", .object([:]))
                throw KitFailure("answered an unknown method instead of error -32601")
            } catch let e as ExecPluginError where e.reason == .pluginError {
                guard e.code == -32601 else { throw KitFailure("answered an unknown method with error \(e.code ?? 0), expected -32601") }
            }
            try plugin.health()  // still alive after the refusal
            return "result shapes checked; unknown method → -32601"
        }
        if manifest.kind == .scorer {
            check("deterministic") {
                let a = try ExecScorer(plugin: plugin).deductions(for: sampleFact, pack: samplePack)
                let b = try ExecScorer(plugin: plugin).deductions(for: sampleFact, pack: samplePack)
                guard a == b else { throw KitFailure("the same fact scored \(a) then \(b)") }
                return "\(a.count) deduction(s), same twice"
            }
        }
        check("crash → restart") {
            try plugin.start()
            guard let old = plugin.pid else { throw KitFailure("not running") }
            _ = sendSignal(old, SIGKILL)
            usleep(100_000)
            do {
                _ = try sampleCall(plugin)
                throw KitFailure("a call to a killed plugin did not fail")
            } catch let e as ExecPluginError where e.reason == .crashed {}
            usleep(UInt32(ExecPlugin.millis(backoff.initial) * 1000 + 100_000))
            _ = try sampleCall(plugin)
            guard let new = plugin.pid, new != old else { throw KitFailure("not restarted") }
            return "killed pid \(old), restarted as pid \(new)"
        }
        check("shutdown exits") {
            try plugin.start()
            guard plugin.shutdown() else { throw KitFailure("did not answer shutdown and exit within 2 s") }
            return "answered null and exited"
        }
        return checks
    }

    struct KitFailure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// The sample call of each kind the plugin is: notify the sample reminder (and send the sample event when it
    /// takes events), score the sample fact, poll a source (limit 0: nothing is taken) and ack nothing.
    static func sampleCall(_ plugin: ExecPlugin) throws -> String {
        var done: [String] = []
        if plugin.handshake == nil { try plugin.start() }
        let caps = plugin.handshake?.capabilities ?? [:]
        for kind in plugin.manifest.kinds {
            switch kind {
            case .notifier:
                // Marked as a test: a plugin that honours `test` checks the notification but does not deliver it.
                if caps["notify"] == true {
                    try plugin.call("notify", ExecNotifier.params(sampleNotification, test: true)) { r in
                        guard r["delivered"]?.bool == true else { throw ExecPlugin.ShapeError("expected {\"delivered\": true}") }
                    }
                    done.append("notify")
                }
                if caps["event"] == true {
                    try plugin.call("event", ExecNotifier.eventParams(sampleEvent, test: true)) { r in
                        guard r["delivered"]?.bool == true else { throw ExecPlugin.ShapeError("expected {\"delivered\": true}") }
                    }
                    done.append("event")
                }
            case .scorer:
                let d = try ExecScorer(plugin: plugin).deductions(for: sampleFact, pack: samplePack)
                done.append("score (\(d.count) deduction(s))")
            case .source:
                let items = try plugin.call("poll", ["limit": 0], decode: ExecSource.decodeItems)
                guard items.isEmpty else { throw KitFailure("returned \(items.count) item(s) to a poll with limit 0") }
                try plugin.call("ack", ExecSource.ackParams([])) { r in
                    guard r["ok"]?.bool == true else { throw ExecPlugin.ShapeError("expected {\"ok\": true}") }
                }
                done.append("poll + ack")
            }
        }
        return done.joined(separator: ", ")
    }

    /// The kit's sample case event, for tests of the `event` call.
    public static var sampleEventForTests: KesuKernel.Notification { sampleEvent }

    /// The kit's sample case event: a case registered, marked as a test (case `KIT-0001`).
    static var sampleEvent: KesuKernel.Notification {
        var state = CaseState()
        let intake = Event(caseID: 1, seq: 1, at: Date(timeIntervalSince1970: 1_790_000_000), actor: "kit", packVersion: "kit",
                           body: .intake(number: "KIT-0001", state: "registered", fields: ["description": "【测试】插件检查", "channel": "test"]))
        state.apply(intake)
        let json = CaseEvents.json(intake, after: state, pack: samplePack, personalData: false)
        var n = KesuKernel.Notification.caseEvent(json, number: "KIT-0001", type: "case.registered", at: intake.at)
        n.id = 1
        return n
    }

    /// Offers protocol version 9999 only: the plugin must answer with a JSON-RPC error.
    static func refusesUnknownVersion(_ manifest: PluginManifest) throws -> String {
        let p = try PluginProcess(manifest: manifest, stderr: StderrTail(pluginID: manifest.id, log: nil))
        defer { p.kill() }
        let req: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": "initialize",
                              "params": ["protocolVersions": [9999], "host": ["name": "kesu", "version": "kit"], "options": .object(manifest.options)]]
        try p.send(req.compact)
        let line = try p.readLine(deadline: .now + manifest.initializeTimeout, waitingFor: "no answer to 'initialize' within the deadline")
        guard let msg = try? JSONValue.parse(Data(line.utf8)) else { throw KitFailure("answered with something not JSON: \(line)") }
        guard let e = msg["error"], let code = e["code"]?.number else {
            throw KitFailure("accepted protocol version 9999: \(line)")
        }
        return "error \(Int(code)): \(e["message"]?.string ?? "")"
    }
}

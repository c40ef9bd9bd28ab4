import Foundation
import KesuKernel

/// A Notifier backed by an exec plugin (`kind: notifier`). `deliver` throws on any failure —
/// crash, timeout, garbage, a refusal, `delivered: false` — so an outbox keeps the notification.
public struct ExecNotifier: Notifier {
    public let plugin: ExecPlugin

    public init(plugin: ExecPlugin) throws {
        guard plugin.manifest.kind == .notifier else {
            throw ExecPluginError(plugin: plugin.id, reason: .protocolMismatch,
                                  message: "is a \(plugin.manifest.kind.rawValue), not a notifier", stderr: [])
        }
        self.plugin = plugin
    }

    /// Loads `<directory>/plugin.yaml`; `options` (from configuration) override the manifest's.
    public init(directory: String, options: [String: JSONValue] = [:], backoff: ExecPlugin.Backoff = .init(),
                log: (@Sendable (String) -> Void)? = nil) throws {
        try self.init(plugin: ExecPlugin(directory: directory, options: options, backoff: backoff, log: log))
    }

    /// `notify`'s params: the notification's one JSON form (`Notification.payload`), as files and webhooks get it.
    /// `test`: the conformance kit's sample, which a plugin checks but does not deliver (docs/plugins.md).
    public static func params(_ n: KesuKernel.Notification, test: Bool = false) -> JSONValue {
        test ? ["notification": n.payload, "test": true] : ["notification": n.payload]
    }

    public var about: DriverInfo { plugin.driverInfo }

    public func checkHealth(timeout: Duration) async throws -> String? { try await plugin.checkHealth(timeout: timeout) }

    public func deliver(_ notification: KesuKernel.Notification) async throws {
        let id = plugin.id
        let delivered = try await plugin.callAsync("notify", Self.params(notification)) { r in
            guard let d = r["delivered"]?.bool else { throw ExecPlugin.ShapeError("expected {\"delivered\": true}") }
            return d
        }
        guard delivered else {
            throw ExecPluginError(plugin: id, reason: .pluginError,
                                  message: "did not deliver the \(notification.kind.rawValue) for case \(notification.caseNumber) (delivered: false)",
                                  stderr: plugin.stderrTail)
        }
    }
}

/// A Scorer backed by an exec plugin (`kind: scorer`). A failed call throws: a fact is never
/// silently scored zero.
public struct ExecScorer: Scorer {
    public let plugin: ExecPlugin

    public init(plugin: ExecPlugin) throws {
        guard plugin.manifest.kind == .scorer else {
            throw ExecPluginError(plugin: plugin.id, reason: .protocolMismatch,
                                  message: "is a \(plugin.manifest.kind.rawValue), not a scorer", stderr: [])
        }
        self.plugin = plugin
    }

    public var about: DriverInfo { plugin.driverInfo }

    public func checkHealth(timeout: Duration) async throws -> String? { try await plugin.checkHealth(timeout: timeout) }

    public init(directory: String, options: [String: JSONValue] = [:], backoff: ExecPlugin.Backoff = .init(),
                log: (@Sendable (String) -> Void)? = nil) throws {
        try self.init(plugin: ExecPlugin(directory: directory, options: options, backoff: backoff, log: log))
    }

    static func time(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: d)
    }

    public static func params(_ fact: ScoringFact, pack: RulePack) -> JSONValue {
        let (kind, id): (String, String) = switch fact.kind {
        case let .violation(v): ("violation", v)
        case let .outcome(o): ("outcome", o)
        }
        let s = pack.scoring
        let rules: [JSONValue] = s.rules.map { r in
            let (k, i): (String, String) = switch r.on {
            case let .violation(v): ("violation", v)
            case let .outcome(o): ("outcome", o)
            }
            let person: JSONValue = switch r.person {
            case .responsible: ["responsible": true]
            case let .field(f): ["field": .string(f)]
            }
            return [
                "id": .string(r.id), "on": ["kind": .string(k), "id": .string(i)],
                "when": .array(r.when.map { .string(String(describing: $0)) }),
                "unitPoints": .number(r.unitPoints), "personPoints": .number(r.personPoints), "person": person,
            ]
        }
        return [
            "fact": [
                "kind": .string(kind), "id": .string(id), "unit": fact.unit.map(JSONValue.string) ?? .null,
                "person": fact.person.map(JSONValue.string) ?? .null, "occurredAt": .string(time(fact.occurredAt)),
                // The plugin is another program: the complainant's personal data leaves masked (保密).
                "fields": .object(PersonalData.redact(fact.fields, pack: pack).mapValues(JSONValue.string)),
            ],
            "scoring": [
                "baseline": .number(s.baseline),
                "violations": .array(s.violations.map { .string($0.id) }),
                "outcomes": .array(s.outcomes.map { .string($0.id) }),
                "rules": .array(rules),
            ],
        ]
    }

    /// Checks a `score` result: `{deductions: [{subject: {kind, id}, points, ruleID}]}`.
    public static func decode(_ r: JSONValue) throws -> [Deduction] {
        guard let items = r["deductions"]?.array else { throw ExecPlugin.ShapeError("expected {\"deductions\": [...]}") }
        return try items.enumerated().map { i, d in
            guard let k = d["subject"]?["kind"]?.string, let kind = ScoreSubject.Kind(rawValue: k) else {
                throw ExecPlugin.ShapeError("deductions[\(i)].subject.kind should be unit or person")
            }
            guard let sid = d["subject"]?["id"]?.string, !sid.isEmpty else {
                throw ExecPlugin.ShapeError("deductions[\(i)].subject.id should be a non-empty string")
            }
            guard let points = d["points"]?.number, points.isFinite else {
                throw ExecPlugin.ShapeError("deductions[\(i)].points should be a number")
            }
            guard let rule = d["ruleID"]?.string, !rule.isEmpty else {
                throw ExecPlugin.ShapeError("deductions[\(i)].ruleID should be a non-empty string")
            }
            return Deduction(ruleID: rule, subject: ScoreSubject(kind, sid), points: points)
        }
    }

    public func deductions(for fact: ScoringFact, pack: RulePack) throws -> [Deduction] {
        try plugin.call("score", Self.params(fact, pack: pack), decode: Self.decode)
    }
}

extension ExecPlugin {
    /// What the outbox page and `plugins list` show of a notifier or scorer plugin.
    public var driverInfo: DriverInfo {
        DriverInfo(kind: "exec", plugin: id, version: handshake?.pluginVersion ?? manifest.version, target: manifest.directory)
    }

    /// The plugin's `health` call, within `timeout`.
    public func checkHealth(timeout: Duration) async throws -> String? {
        try await callAsync("health", timeout: timeout) { r in
            guard r["ok"]?.bool == true else { throw ExecPlugin.ShapeError("expected {\"ok\": true}") }
            return "ok"
        }
    }
}

import Foundation
import KesuKernel

/// A Notifier backed by an exec plugin (`kind: notifier`). `deliver` throws on any failure —
/// crash, timeout, garbage, a refusal, `delivered: false` — so an outbox keeps the notification.
public struct ExecNotifier: Notifier {
    public let plugin: ExecPlugin

    public init(plugin: ExecPlugin) throws {
        try plugin.require(.notifier)
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

    /// `event`'s params (protocol 2): the case event and the outbox item's id. `test`: the kit's sample.
    public static func eventParams(_ n: KesuKernel.Notification, test: Bool = false) -> JSONValue {
        var p: [String: JSONValue] = ["event": n.payload, "delivery": n.id.map { .number(Double($0)) } ?? .null]
        if test { p["test"] = true }
        return .object(p)
    }

    public func deliver(_ notification: KesuKernel.Notification) async throws {
        let id = plugin.id
        let isEvent = notification.kind == .event
        let method = isEvent ? "event" : "notify"
        if let caps = plugin.handshake?.capabilities, caps[method] != true {
            throw ExecPluginError(plugin: id, reason: .protocolMismatch,
                                  message: isEvent
                                      ? "takes no case events (its initialize announced no 'event' capability; protocol 2, docs/integrations.md): take it out of the subscriptions in kesu.yaml"
                                      : "takes case events only (no 'notify' capability): reminders reach it only through a subscription",
                                  stderr: [])
        }
        let params = isEvent ? Self.eventParams(notification) : Self.params(notification)
        let delivered = try await plugin.callAsync(method, params) { r in
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
        try plugin.require(.scorer)
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
    /// Refuses a plugin whose manifest does not make it this kind (a notifier used as a scorer).
    func require(_ kind: PluginManifest.Kind) throws {
        guard manifest.kinds.contains(kind) else {
            throw ExecPluginError(plugin: id, reason: .protocolMismatch,
                                  message: "is a \(manifest.kinds.map(\.rawValue).joined(separator: " and ")), not a \(kind.rawValue)", stderr: [])
        }
    }

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

/// A CaseSource backed by an exec plugin (`kind: source`, protocol 2): `poll` and `ack`, docs/integrations.md.
public struct ExecSource: CaseSource {
    public let plugin: ExecPlugin

    public init(plugin: ExecPlugin) throws {
        try plugin.require(.source)
        self.plugin = plugin
    }

    public init(directory: String, options: [String: JSONValue] = [:], backoff: ExecPlugin.Backoff = .init(),
                log: (@Sendable (String) -> Void)? = nil) throws {
        try self.init(plugin: ExecPlugin(directory: directory, options: options, backoff: backoff, log: log))
    }

    public var about: DriverInfo { plugin.driverInfo }

    public func checkHealth(timeout: Duration) async throws -> String? { try await plugin.checkHealth(timeout: timeout) }

    public func poll(limit: Int) async throws -> [SourceItem] {
        try await plugin.callAsync("poll", ["limit": .number(Double(limit))], decode: Self.decodeItems)
    }

    public func ack(_ acks: [SourceAck]) async throws {
        _ = try await plugin.callAsync("ack", Self.ackParams(acks)) { r in
            guard r["ok"]?.bool == true else { throw ExecPlugin.ShapeError("expected {\"ok\": true}") }
            return true
        }
    }

    public static func ackParams(_ acks: [SourceAck]) -> JSONValue {
        ["items": .array(acks.map { a in
            switch a.outcome {
            case let .registered(number, created): ["id": .string(a.id), "case": .string(number), "created": .bool(created)]
            case let .refused(reason): ["id": .string(a.id), "refused": .string(reason)]
            }
        })]
    }

    /// Checks a `poll` result: `{items: [{id, fields: {…}, attachments: [{file_name, media_type, content_base64}]}]}`.
    public static func decodeItems(_ r: JSONValue) throws -> [SourceItem] {
        guard let items = r["items"]?.array else { throw ExecPlugin.ShapeError("expected {\"items\": [...]}") }
        return try items.enumerated().map { i, item in
            guard let id = item["id"]?.string else { throw ExecPlugin.ShapeError("items[\(i)].id should be a string") }
            var fields: [String: String] = [:]
            if let f = item["fields"] {
                guard let o = f.object else { throw ExecPlugin.ShapeError("items[\(i)].fields should be an object of strings") }
                for (k, v) in o {
                    switch v {
                    case let .string(s): fields[k] = s
                    case .null: continue
                    case let .number(n): fields[k] = n == n.rounded() ? String(Int64(n)) : String(n)
                    case let .bool(b): fields[k] = b ? "true" : "false"
                    default: throw ExecPlugin.ShapeError("items[\(i)].fields.\(k) should be a string")
                    }
                }
            }
            var files: [SourceItem.File] = []
            for (j, a) in (item["attachments"]?.array ?? []).enumerated() {
                guard let name = a["file_name"]?.string, let type = a["media_type"]?.string,
                      let b64 = a["content_base64"]?.string, let content = Data(base64Encoded: b64, options: .ignoreUnknownCharacters) else {
                    throw ExecPlugin.ShapeError("items[\(i)].attachments[\(j)] should be {file_name, media_type, content_base64}")
                }
                files.append(SourceItem.File(fileName: name, mediaType: type, content: content))
            }
            return SourceItem(id: id, fields: fields, attachments: files)
        }
    }
}

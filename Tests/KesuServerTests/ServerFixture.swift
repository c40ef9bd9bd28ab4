import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KesuKernel
import KesuServer
import KesuSQLite
import KesuYAML
import Logging
import Testing

/// A clock tests move by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Date
    init(_ start: Date) { value = start }
    var now: Date { lock.withLock { value } }
    func set(_ d: Date) { lock.withLock { value = d } }
    func set(_ iso: String) { set(ISO8601.parse(iso)!) }
}

enum Paths {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func pack(_ name: String) -> String { root.appendingPathComponent("rules/\(name)").path }
    static func temp(_ prefix: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// One server (router only, no socket) on a fresh SQLite file, with a token for every person of the pack.
struct ServerFixture {
    let api: KesuAPI
    let clock: TestClock
    let store: any CaseStore
    let tokens: [String: String]

    static func make(
        pack: String = Paths.pack("tobacco-prefecture"), store: (any CaseStore)? = nil, at start: String = "2026-09-30T09:00:00+08:00",
        instance: String = "test", maxBody: Int = 64 * 1024, attachmentLimits: AttachmentLimits = .standard
    ) async throws -> ServerFixture {
        let store = try store ?? SQLiteStore(path: try Paths.temp("kesu-server").appendingPathComponent("kesu.db").path)
        let clock = TestClock(ISO8601.parse(start)!)
        let rules = try LiveRules(rulesPath: pack, at: clock.now) { loaded in
            try Engine(pack: loaded.pack, store: store, snapshot: loaded.snapshot, resolver: StoredPackResolver(store: store))
        }
        var logger = Logger(label: "kesu-test")
        logger.logLevel = .error
        let settings = ServerSettings(maxBodyBytes: maxBody, sweepInterval: .seconds(60), instanceID: instance, rulesPath: pack,
                                      attachmentLimits: attachmentLimits)
        let api = KesuAPI(rules: rules, settings: settings, logger: logger, now: { clock.now })
        var tokens: [String: String] = [:]
        let accounts = Accounts(store: store)
        for p in rules.engine.pack.people {
            tokens[p.id] = try await accounts.add(person: p.id, label: "test", pack: rules.engine.pack, by: "test", at: clock.now).token
        }
        return ServerFixture(api: api, clock: clock, store: store, tokens: tokens)
    }

    var app: some ApplicationProtocol { Application(router: api.router(), logger: api.logger) }

    /// Runs `body` with a client on the router (no socket).
    func test(_ body: @escaping @Sendable (Client) async throws -> Void) async throws {
        try await app.test(.router) { client in try await body(Client(inner: client, tokens: tokens)) }
    }
}

/// A test client speaking JSON, acting as a named person.
struct Client: Sendable {
    let inner: any TestClientProtocol
    let tokens: [String: String]

    struct Reply: Sendable {
        var status: Int
        var body: Data
        var headers: HTTPFields
        var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
        var errorMessage: String { ((json["error"] as? [String: Any])?["message"] as? String) ?? "" }
        var errorField: String? { (json["error"] as? [String: Any])?["field"] as? String }
        var `case`: [String: Any] { (json["case"] as? [String: Any]) ?? json }
    }

    @discardableResult
    func call(_ method: HTTPRequest.Method, _ uri: String, as person: String? = nil, token: String? = nil,
              json: Any? = nil, raw: String? = nil, headers extra: [String: String] = [:]) async throws -> Reply {
        var headers = HTTPFields()
        if let t = token ?? person.flatMap({ tokens[$0] }) { headers[.authorization] = "Bearer \(t)" }
        for (k, v) in extra { headers[HTTPField.Name(k)!] = v }
        var body: ByteBuffer?
        if let json { body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)) }
        if let raw { body = ByteBuffer(string: raw) }
        if body != nil { headers[.contentType] = "application/json" }
        return try await inner.execute(uri: uri, method: method, headers: headers, body: body) { r in
            Reply(status: Int(r.status.code), body: Data(r.body.readableBytesView), headers: r.headers)
        }
    }

    /// Takes a transition on the case's current version.
    @discardableResult
    func act(_ number: String, _ transition: String, as person: String, fields: [String: String] = [:]) async throws -> Reply {
        let current = try await call(.get, "/v1/cases/\(number)", as: person)
        let version = current.json["version"] as? Int ?? -1
        return try await call(.post, "/v1/cases/\(number)/transitions", as: person,
                              json: ["transition": transition, "expected_version": version, "fields": fields])
    }
}

extension HTTPFields {
    subscript(_ name: String) -> String? { self[HTTPField.Name(name)!] }
}

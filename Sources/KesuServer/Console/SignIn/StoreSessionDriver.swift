import Foundation
import Hummingbird
import KesuKernel
import ServiceLifecycle

/// hummingbird-auth's session storage kept in the case store, so every instance on one database
/// knows every session. Each key is a record stream `sessions/<SHA-256 of the key>` (the store
/// never holds a usable session id): `set` records carry the value and its expiry, `removed`
/// ends it. Expiry is read on the injected clock, so tests can let a session lapse.
struct StoreSessionDriver: PersistDriver {
    let store: any CaseStore
    let now: @Sendable () -> Date

    struct Stored: Codable { var value: String; var expiresAt: Date? }

    func run() async throws {
        try? await gracefulShutdown()
    }

    static func stream(_ key: String) -> String { "sessions/" + SHA256.hex(Array(key.utf8)) }

    func create<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        let last = try await store.lastRecord(stream: Self.stream(key))
        if live(last) != nil { throw PersistError.duplicate }
        try await append(key, version: last?.seq ?? 0, value: value, expires: expires, previous: nil)
    }

    func set<Object: Codable & Sendable>(key: String, value: Object, expires: Duration?) async throws {
        for _ in 0..<5 {
            let last = try await store.lastRecord(stream: Self.stream(key))
            do {
                try await append(key, version: last?.seq ?? 0, value: value, expires: expires, previous: live(last))
                return
            } catch StoreError.recordConflict { continue }
        }
    }

    func get<Object: Codable & Sendable>(key: String, as: Object.Type) async throws -> Object? {
        try await getWithTTL(key: key, as: Object.self)?.object
    }

    func getWithTTL<Object: Codable & Sendable>(key: String, as: Object.Type) async throws -> (object: Object, ttl: Duration?)? {
        guard let stored = live(try await store.lastRecord(stream: Self.stream(key))) else { return nil }
        guard let object = try? JSONDecoder().decode(Object.self, from: Data(stored.value.utf8)) else { throw PersistError.invalidConversion }
        let ttl = stored.expiresAt.map { Duration.seconds(max(0, $0.timeIntervalSince(now()))) }
        return (object, ttl)
    }

    func remove(key: String) async throws {
        let stream = Self.stream(key)
        guard let version = try await store.lastRecord(stream: stream)?.seq else { return }
        try? await store.appendRecords(stream: stream, expectedVersion: version, events: [
            RecordEvent(at: now(), actor: Event.systemActor, type: "removed", packVersion: "", body: "{}"),
        ])
    }

    /// The value a record holds while it has not expired.
    private func live(_ record: RecordEvent?) -> Stored? {
        guard let record, record.type == "set", let s = try? Self.decoder.decode(Stored.self, from: Data(record.body.utf8)) else { return nil }
        if let at = s.expiresAt, at <= now() { return nil }
        return s
    }

    private func append<Object: Codable>(_ key: String, version: Int, value: Object, expires: Duration?, previous: Stored?) async throws {
        let at = now()
        // Without a new expiry the old one stays (PersistDriver's contract).
        let expiresAt = expires.map { at.addingTimeInterval(TimeInterval($0.components.seconds)) } ?? previous?.expiresAt
        let body = Stored(value: String(decoding: try JSONEncoder().encode(value), as: UTF8.self), expiresAt: expiresAt)
        try await store.appendRecords(stream: Self.stream(key), expectedVersion: version, events: [
            RecordEvent(at: at, actor: Event.systemActor, type: "set", packVersion: "", body: String(decoding: try Self.encoder.encode(body), as: UTF8.self)),
        ])
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .secondsSince1970
        return e
    }()
    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .secondsSince1970
        return d
    }()
}

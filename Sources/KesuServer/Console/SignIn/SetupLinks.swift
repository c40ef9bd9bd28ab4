import Foundation
import KesuKernel

/// The first-run link: on a store without console logins, `kesu serve` prints a link whose token
/// lets one administrator set a password. Only the token's SHA-256 is stored (stream `setup`),
/// it works for an hour and once, and never after a login exists.
struct SetupLinks: Sendable {
    static let stream = "setup"
    let store: any CaseStore

    struct Issued: Codable { var sha256: String; var expiresAt: Date }

    /// A new token, valid for `lifetime` from `now` (an earlier unused link stops working).
    func issue(at now: Date, lifetime: TimeInterval) async throws -> String {
        let token = Console.randomToken()
        let body = Issued(sha256: SHA256.hex(Array(token.utf8)), expiresAt: now.addingTimeInterval(lifetime))
        for _ in 0..<5 {
            let version = try await store.recordsVersion(stream: Self.stream)
            do {
                try await store.appendRecords(stream: Self.stream, expectedVersion: version, events: [
                    RecordEvent(at: now, actor: Event.systemActor, type: "issued", packVersion: "", body: try Self.json(body)),
                ])
                return token
            } catch StoreError.recordConflict { continue }
        }
        throw KesuError(.conflict, "the setup stream changed too often meanwhile; try again")
    }

    /// Whether `token` is the latest issued one, unexpired and unused.
    func isValid(_ token: String, at now: Date) async throws -> Bool {
        guard let last = try await store.lastRecord(stream: Self.stream), last.type == "issued",
              let issued = try? Self.decoder.decode(Issued.self, from: Data(last.body.utf8)) else { return false }
        return issued.expiresAt > now && Console.constantTimeEqual(issued.sha256, SHA256.hex(Array(token.utf8)))
    }

    func markUsed(by actor: String, at now: Date) async throws {
        let version = try await store.recordsVersion(stream: Self.stream)
        try await store.appendRecords(stream: Self.stream, expectedVersion: version, events: [
            RecordEvent(at: now, actor: actor, type: "used", packVersion: "", body: "{}"),
        ])
    }

    static func json<T: Encodable>(_ v: T) throws -> String {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .secondsSince1970
        e.outputFormatting = [.sortedKeys]
        return String(decoding: try e.encode(v), as: UTF8.self)
    }

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .secondsSince1970
        return d
    }()
}

import Foundation

/// An API account: a person of the pack holding a bearer token. Only the token's SHA-256 is kept;
/// the token itself is shown once, when the account is created.
public struct Account: Sendable, Codable, Equatable {
    /// `u1`, `u2`, … in order of creation.
    public var id: String
    /// A person id from the pack: the account acts and sees as this person.
    public var person: String
    /// What the token is for (`laptop`, `hotline-integration`).
    public var label: String?
    public var createdAt: Date
    public var revokedAt: Date?

    public init(id: String, person: String, label: String? = nil, createdAt: Date, revokedAt: Date? = nil) {
        self.id = id; self.person = person; self.label = label; self.createdAt = createdAt; self.revokedAt = revokedAt
    }

    public var isRevoked: Bool { revokedAt != nil }
}

/// The accounts, kept as the append-only record stream `accounts`: `created` records (id, person,
/// label, token hash) and `revoked` records (id). Nothing is ever rewritten or deleted.
public struct Accounts: Sendable {
    public static let stream = "accounts"
    public static let tokenPrefix = "kesu_"

    let store: any CaseStore
    let cache: Cache?

    /// `cache`, shared by every request of a server, keeps the folded accounts until the stream
    /// grows: a request then costs one version read instead of reading every account record.
    public init(store: any CaseStore, cache: Cache? = nil) {
        self.store = store
        self.cache = cache
    }

    /// The accounts as last folded, with the stream version they were folded at.
    public actor Cache {
        var folded: Folded?

        public init() {}

        func current(_ accounts: Accounts) async throws -> Folded {
            let version = try await accounts.store.recordsVersion(stream: Accounts.stream)
            if let f = folded, f.version == version { return f }
            let f = try await accounts.fold()
            // Keep the newer of two folds that raced.
            if folded == nil || f.version >= folded!.version { folded = f }
            return f
        }
    }

    /// What a `created` record holds.
    struct Created: Codable {
        var id: String
        var person: String
        var label: String?
        var tokenSHA256: String
        enum CodingKeys: String, CodingKey { case id, person, label, tokenSHA256 = "token_sha256" }
    }

    /// What a `revoked` record holds.
    struct Revoked: Codable { var id: String }

    /// The accounts and their token hashes, folded from the stream.
    struct Folded: Sendable {
        var accounts: [Account] = []
        var hashes: [String: String] = [:]   // account id → token hash
        var version = 0
    }

    func fold() async throws -> Folded {
        var f = Folded()
        let records = try await store.records(stream: Self.stream)
        f.version = records.count
        let decoder = JSONDecoder()
        for r in records {
            switch r.type {
            case "created":
                guard let c = try? decoder.decode(Created.self, from: Data(r.body.utf8)) else { continue }
                f.accounts.append(Account(id: c.id, person: c.person, label: c.label, createdAt: r.at))
                f.hashes[c.id] = c.tokenSHA256
            case "revoked":
                guard let v = try? decoder.decode(Revoked.self, from: Data(r.body.utf8)),
                      let i = f.accounts.firstIndex(where: { $0.id == v.id }), f.accounts[i].revokedAt == nil else { continue }
                f.accounts[i].revokedAt = r.at
            default:
                continue
            }
        }
        return f
    }

    /// Creates an account for a person of the pack; returns the token, shown only this once (only its SHA-256 is stored).
    public func add(person: String, label: String?, pack: RulePack, by actor: String, at: Date) async throws -> (account: Account, token: String) {
        guard pack.person(person) != nil else {
            throw KesuError(.unknownUser, "no person '\(person)' in the pack\(Suggest.hint(for: person, in: pack.people.map(\.id))); an account is for a person of the pack's people")
        }
        let label = label.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        let token = Self.newToken()
        let hash = Self.hash(token: token)
        // Ids are sequential: on a concurrent append, read the stream again and take the next id.
        for _ in 0..<10 {
            let current = try await fold()
            let id = "u\(current.accounts.count + 1)"
            let body = String(decoding: try Self.encoder.encode(Created(id: id, person: person, label: label, tokenSHA256: hash)), as: UTF8.self)
            let record = RecordEvent(at: at, actor: actor, type: "created", packVersion: pack.version, body: body)
            do {
                try await store.appendRecords(stream: Self.stream, expectedVersion: current.version, events: [record])
                return (Account(id: id, person: person, label: label, createdAt: at), token)
            } catch StoreError.recordConflict {
                continue
            }
        }
        throw KesuError(.conflict, "the accounts changed too often meanwhile; nothing was written, try again")
    }

    /// Revokes an account: its token no longer authenticates. Revoking a revoked account changes nothing.
    public func revoke(id: String, by actor: String, at: Date) async throws {
        for _ in 0..<10 {
            let current = try await fold()
            guard let account = current.accounts.first(where: { $0.id == id }) else {
                throw KesuError(.notFound, "no account '\(id)'\(Suggest.hint(for: id, in: current.accounts.map(\.id)))",
                                value: id, candidates: current.accounts.map(\.id), suggestion: .listAccounts)
            }
            if account.isRevoked { return }
            let body = String(decoding: try Self.encoder.encode(Revoked(id: id)), as: UTF8.self)
            let record = RecordEvent(at: at, actor: actor, type: "revoked", packVersion: "", body: body)
            do {
                try await store.appendRecords(stream: Self.stream, expectedVersion: current.version, events: [record])
                return
            } catch StoreError.recordConflict {
                continue
            }
        }
        throw KesuError(.conflict, "the accounts changed too often meanwhile; nothing was written, try again")
    }

    /// Every account, live or revoked, in order of creation.
    public func list() async throws -> [Account] { try await fold().accounts }

    /// The live account whose token this is; nil for an unknown or revoked token.
    public func authenticate(token: String) async throws -> Account? {
        let token = token.trimmingCharacters(in: .whitespaces)
        guard token.hasPrefix(Self.tokenPrefix), token.count > Self.tokenPrefix.count else { return nil }
        let hash = Self.hash(token: token)
        // A revocation appends a record, so a cached fold is never used once the stream has grown.
        let f: Folded
        if let cache { f = try await cache.current(self) } else { f = try await fold() }
        // Compare every live account's hash in full, so timing says nothing about which bytes matched.
        var found: Account?
        for a in f.accounts where a.revokedAt == nil {
            if let h = f.hashes[a.id], Self.constantTimeEqual(h, hash) { found = a }
        }
        return found
    }

    /// `kesu_` and 32 random bytes, base64url without padding (48 characters in all).
    public static func newToken() -> String { tokenPrefix + randomSecret() }

    /// 32 random bytes, base64url without padding (43 characters): tokens, session CSRF tokens, setup links.
    public static func randomSecret() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The hex SHA-256 of a token's UTF-8: what the store keeps.
    public static func hash(token: String) -> String { SHA256.hex(Array(token.utf8)) }

    /// Sorted keys: a record's body is the same bytes for the same content.
    static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    /// Compares every byte, so timing says nothing about where two secrets differ.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in x.indices { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}

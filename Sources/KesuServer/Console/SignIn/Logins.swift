import Foundation
import HummingbirdBcrypt
import KesuKernel
import NIOPosix

/// A console login: a user name and password for a person of the pack.
public struct Login: Sendable, Equatable {
    public var username: String
    public var person: String
    public var createdAt: Date
    public var disabled: Bool
    /// How many times the password was set after creation: a session remembers the one it signed in
    /// with, so a reset ends the sessions opened before it (on any instance, whatever the clock says).
    public var passwordVersion: Int = 0
    /// The bcrypt hash of the password (never the password).
    var passwordHash: String
}

/// Console logins, kept like API accounts as an append-only record stream of the store, so every
/// instance sharing the store signs in the same people: `created` (user name, person, bcrypt
/// hash), `password_set`, `disabled` and `enabled`. Failed sign-ins are records of a stream per
/// user name (`login-attempts/NAME`), so a lockout holds on every instance too.
public struct Logins: Sendable {
    public static let stream = "logins"
    static let attemptsPrefix = "login-attempts/"
    /// After this many failures within `lockWindow`, the login is locked for `lockWindow`.
    public static let maxFailures = 5
    public static let lockWindow: TimeInterval = 15 * 60
    /// bcrypt's work factor: about a quarter of a second per check on one core.
    static let cost: UInt8 = 11

    let store: any CaseStore
    let cache: Cache?

    /// `cache`, shared by a server's requests, keeps the folded logins until the stream grows.
    public init(store: any CaseStore, cache: Cache? = nil) { self.store = store; self.cache = cache }

    /// The logins as last folded, with the stream version they were folded at.
    public actor Cache {
        var folded: [Login] = []
        var version = -1
        public init() {}
        func current(_ logins: Logins) async throws -> [Login] {
            let v = try await logins.store.recordsVersion(stream: Logins.stream)
            if v == version { return folded }
            let f = try await logins.fold()
            if f.version >= version { folded = f.logins; version = f.version }
            return f.logins
        }
    }

    struct Created: Codable { var username: String; var person: String; var bcrypt: String }
    struct PasswordSet: Codable { var username: String; var bcrypt: String }
    struct Named: Codable { var username: String }

    struct Folded { var logins: [Login] = []; var version = 0 }

    func fold() async throws -> Folded {
        var f = Folded()
        let records = try await store.records(stream: Self.stream)
        f.version = records.count
        let d = JSONDecoder()
        for r in records {
            let body = Data(r.body.utf8)
            switch r.type {
            case "created":
                if let c = try? d.decode(Created.self, from: body) {
                    f.logins.append(Login(username: c.username, person: c.person, createdAt: r.at, disabled: false, passwordHash: c.bcrypt))
                }
            case "password_set":
                if let c = try? d.decode(PasswordSet.self, from: body), let i = f.logins.firstIndex(where: { $0.username == c.username }) {
                    f.logins[i].passwordHash = c.bcrypt
                    f.logins[i].passwordVersion += 1
                }
            case "disabled", "enabled":
                if let c = try? d.decode(Named.self, from: body), let i = f.logins.firstIndex(where: { $0.username == c.username }) {
                    f.logins[i].disabled = r.type == "disabled"
                }
            default: continue
            }
        }
        return f
    }

    public func list() async throws -> [Login] {
        if let cache { return try await cache.current(self) }
        return try await fold().logins
    }

    public func isEmpty() async throws -> Bool { try await store.recordsVersion(stream: Self.stream) == 0 }

    /// User names are 2 to 40 letters, digits, `.`, `_` or `-`: easy to type and safe in a URL.
    public static func validUsername(_ name: String) -> Bool {
        (2...40).contains(name.count) && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
    }

    /// At least 8 characters, not all of one kind of character, not the user name.
    public static func passwordProblem(_ password: String, username: String) -> String? {
        if password.count < 8 { return "密码至少 8 个字符" }
        if password.count > 72 { return "密码不能超过 72 个字符" }
        if password.lowercased() == username.lowercased() { return "密码不能与用户名相同" }
        if Set(password).count < 4 { return "密码过于简单，请混合使用不同的字符" }
        return nil
    }

    /// Creates a login for a person of the pack. One live login per person; user names are unique.
    @discardableResult
    public func add(username: String, person: String, password: String, pack: RulePack, by actor: String, at: Date) async throws -> Login {
        guard Self.validUsername(username) else {
            throw KesuError(.invalidInput, "用户名“\(username)”无效：用 2–40 个英文字母、数字、点、下划线或连字符")
        }
        guard pack.person(person) != nil else {
            throw KesuError(.unknownUser, "规则包中没有人员“\(person)”\(Suggest.hint(for: person, in: pack.people.map(\.id)))")
        }
        if let problem = Self.passwordProblem(password, username: username) { throw KesuError(.invalidInput, problem) }
        let hash = try await Self.hash(password)
        for _ in 0..<10 {
            let current = try await fold()
            if current.logins.contains(where: { $0.username.lowercased() == username.lowercased() }) {
                throw KesuError(.conflict, "用户名“\(username)”已被使用，请换一个")
            }
            if let existing = current.logins.first(where: { $0.person == person && !$0.disabled }) {
                throw KesuError(.conflict, "\(pack.person(person)?.name ?? person) 已有登录账号“\(existing.username)”")
            }
            let body = try Self.json(Created(username: username, person: person, bcrypt: hash))
            do {
                try await store.appendRecords(stream: Self.stream, expectedVersion: current.version, events: [
                    RecordEvent(at: at, actor: actor, type: "created", packVersion: pack.version, body: body),
                ])
                return Login(username: username, person: person, createdAt: at, disabled: false, passwordHash: hash)
            } catch StoreError.recordConflict { continue }
        }
        throw KesuError(.conflict, "the logins changed too often meanwhile; nothing was written, try again")
    }

    /// Sets a new password (an administrator's reset, or the person's own change).
    public func setPassword(username: String, password: String, by actor: String, at: Date) async throws {
        if let problem = Self.passwordProblem(password, username: username) { throw KesuError(.invalidInput, problem) }
        let hash = try await Self.hash(password)
        try await append(username: username, type: "password_set", body: try Self.json(PasswordSet(username: username, bcrypt: hash)), by: actor, at: at)
    }

    public func setDisabled(_ disabled: Bool, username: String, by actor: String, at: Date) async throws {
        try await append(username: username, type: disabled ? "disabled" : "enabled", body: try Self.json(Named(username: username)), by: actor, at: at)
    }

    private func append(username: String, type: String, body: String, by actor: String, at: Date) async throws {
        for _ in 0..<10 {
            let current = try await fold()
            guard current.logins.contains(where: { $0.username == username }) else {
                throw KesuError(.notFound, "没有登录账号“\(username)”\(Suggest.hint(for: username, in: current.logins.map(\.username)))")
            }
            do {
                try await store.appendRecords(stream: Self.stream, expectedVersion: current.version, events: [
                    RecordEvent(at: at, actor: actor, type: type, packVersion: "", body: body),
                ])
                return
            } catch StoreError.recordConflict { continue }
        }
        throw KesuError(.conflict, "the logins changed too often meanwhile; nothing was written, try again")
    }

    public enum SignIn: Sendable, Equatable {
        case signedIn(Login)
        /// Unknown user name or wrong password: the answer does not say which.
        case refused
        case locked(until: Date)
        case disabled
    }

    /// Checks a user name and password. Failures are recorded; after `maxFailures` within
    /// `lockWindow` the login is locked (the right password too) until the window passes.
    public func signIn(username: String, password: String, at now: Date) async throws -> SignIn {
        let name = username.trimmingCharacters(in: .whitespaces)
        let stream = Self.attemptsPrefix + name.lowercased()
        let attempts = try await store.records(stream: stream)
        if let until = Self.lockedUntil(attempts, at: now) { return .locked(until: until) }
        let login = try await fold().logins.first { $0.username.lowercased() == name.lowercased() }
        // An unknown name costs a bcrypt check too, so timing does not tell which names exist.
        let ok = try await Self.verify(password, hash: login?.passwordHash ?? Self.decoyHash)
        guard let login, ok else {
            try? await store.appendRecords(stream: stream, expectedVersion: attempts.count, events: [
                RecordEvent(at: now, actor: name, type: "failed", packVersion: "", body: "{}"),
            ])
            let after = try await store.records(stream: stream)
            if let until = Self.lockedUntil(after, at: now) { return .locked(until: until) }
            return .refused
        }
        if login.disabled { return .disabled }
        if attempts.last?.type == "failed" {
            try? await store.appendRecords(stream: stream, expectedVersion: attempts.count, events: [
                RecordEvent(at: now, actor: name, type: "succeeded", packVersion: "", body: "{}"),
            ])
        }
        return .signedIn(login)
    }

    /// The end of a lock: `maxFailures` failures since the last success, the last of them within the window.
    static func lockedUntil(_ attempts: [RecordEvent], at now: Date) -> Date? {
        let sinceSuccess = attempts.reversed().prefix { $0.type == "failed" }
        let recent = sinceSuccess.filter { now.timeIntervalSince($0.at) < lockWindow }
        guard recent.count >= maxFailures, let last = recent.first else { return nil }
        let until = last.at.addingTimeInterval(lockWindow)
        return until > now ? until : nil
    }

    static let decoyHash = Bcrypt.hash("decoy-password-never-matches", cost: cost)

    /// bcrypt off the cooperative pool: each call takes a good part of a second by design.
    static func hash(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    static func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    static func json<T: Encodable>(_ v: T) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try e.encode(v), as: UTF8.self)
    }
}

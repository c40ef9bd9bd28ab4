import Foundation

/// The deployment's secret for finding cases by personal data without an index of that data: a
/// store indexes the keyed hash (HMAC-SHA256) of each case's normalised phone, never the phone.
/// The key lives outside the database (a key file or an environment variable; see
/// docs/configuration.md), so the database alone does not let anyone try phone numbers against the
/// index, and a database moved without its key finds nothing rather than the wrong cases.
public struct LookupKey: Sendable, Equatable {
    /// Shorter secrets are refused: a key must not be guessable.
    public static let minimumLength = 16
    let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(LookupKeyError) {
        guard bytes.count >= Self.minimumLength else { throw .tooShort(bytes.count) }
        self.bytes = bytes
    }

    /// 32 random bytes, written as 64 hex digits (what a new key file holds).
    public static func random() -> LookupKey {
        var g = SystemRandomNumberGenerator()
        return try! LookupKey(bytes: Array(Self.newFileText(&g).utf8))
    }

    static func newFileText(_ g: inout some RandomNumberGenerator) -> String {
        (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }

    /// The index entry of a phone: HMAC of its normalised digits (`PersonalData.normalisedPhone`),
    /// as 64 hex digits; nil when it has no digit.
    public func phoneDigest(_ phone: String) -> String? {
        PersonalData.normalisedPhone(phone).map { HMACSHA256.hex(key: bytes, message: Array("phone:\($0)".utf8)) }
    }

    /// Names the key without revealing it: the database records it at first use and refuses
    /// another key later, so two instances with different keys cannot split the index.
    public var fingerprint: String {
        String(HMACSHA256.hex(key: bytes, message: Array("kesu lookup key fingerprint".utf8)).prefix(16))
    }

    /// The key in `path` (its bytes, a trailing newline dropped); with `create`, a missing file is
    /// made with a random key, readable by its owner only.
    public static func file(_ path: String, create: Bool) throws(LookupKeyError) -> LookupKey {
        let fm = FileManager.default
        if !fm.fileExists(atPath: path) {
            guard create else { throw .unreadable(path, "no such file") }
            var g = SystemRandomNumberGenerator()
            let text = newFileText(&g) + "\n"
            // Created with owner-only permissions from the start; never replaces a file made meanwhile.
            guard fm.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw .unreadable(path, "cannot create it (is the folder writable?)")
            }
        }
        guard let data = fm.contents(atPath: path) else { throw .unreadable(path, "cannot read it") }
        var bytes = Array(data)
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
        do { return try LookupKey(bytes: bytes) } catch { throw .unreadable(path, error.description) }
    }
}

public enum LookupKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooShort(Int)
    case unreadable(String, String)
    /// The database's index was made with another key.
    case mismatch(stored: String, given: String)

    public var description: String {
        switch self {
        case let .tooShort(n):
            "a lookup key needs at least \(LookupKey.minimumLength) bytes, this one has \(n); make one with `openssl rand -hex 32`"
        case let .unreadable(path, why): "the lookup key file '\(path)': \(why)"
        case let .mismatch(stored, given):
            "this database's phone index was made with another lookup key (fingerprint \(stored); the key given has \(given)); "
                + "give this instance the key file the database was made with (storage: lookup_key_file), as every instance sharing the database must"
        }
    }
}

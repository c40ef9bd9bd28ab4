import Foundation

/// An option's value as a deployment file gives it.
public enum ConfigValue: Sendable, Equatable, Codable, CustomStringConvertible {
    case string(String)
    case number(Double)
    case bool(Bool)
    case list([ConfigValue])
    case map([String: ConfigValue])

    /// The value as text when it is a scalar (numbers without a trailing `.0` when whole).
    public var text: String? {
        switch self {
        case let .string(s): s
        case let .number(n): n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case let .bool(b): b ? "true" : "false"
        case .list, .map: nil
        }
    }

    public var description: String {
        switch self {
        case .string, .number, .bool: text ?? ""
        case let .list(xs): "[" + xs.map(\.description).joined(separator: ", ") + "]"
        case let .map(m): "{" + m.keys.sorted().map { "\($0): \(m[$0]!.description)" }.joined(separator: ", ") + "}"
        }
    }

    /// How the value is named in messages.
    public var kindName: String {
        switch self {
        case let .string(s): "'\(s)'"
        case let .number(n): "the number \(ConfigValue.number(n).text ?? "")"
        case let .bool(b): "\(b)"
        case .list: "a list"
        case .map: "a mapping"
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .string(s): try c.encode(s)
        case let .number(n): try c.encode(n)
        case let .bool(b): try c.encode(b)
        case let .list(xs): try c.encode(xs)
        case let .map(m): try c.encode(m)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let xs = try? c.decode([ConfigValue].self) { self = .list(xs) }
        else { self = .map(try c.decode([String: ConfigValue].self)) }
    }
}

/// One extension point's choice: a driver name, its options, and where each came from.
///
/// `DriverConfig` is what a factory receives. The registry has already checked the option
/// names and types against what the driver declared, so the typed accessors below only fall
/// back to defaults for options that were left out.
public struct DriverConfig: Sendable, Equatable {
    /// The driver's name, e.g. `sqlite`, `webhook`.
    public var driver: String
    /// The options besides `driver` (and `name` for a notifier).
    public var options: [String: ConfigValue]
    /// What the entry is, for messages: `storage`, `notifier 'ops'`, `scoring`.
    public var what: String
    /// Where the entry (its mapping) starts.
    public var location: SourceLocation
    /// Where the driver's name is written.
    public var driverLocation: SourceLocation
    /// Where each option's key is written.
    public var keyLocations: [String: SourceLocation]
    /// Where each option's value is written.
    public var valueLocations: [String: SourceLocation]
    /// Relative paths in options are taken from here (the deployment file's folder); nil = the
    /// working directory.
    public var baseDirectory: String?

    public init(
        driver: String, options: [String: ConfigValue] = [:], what: String = "driver",
        location: SourceLocation = .code(), driverLocation: SourceLocation? = nil,
        keyLocations: [String: SourceLocation] = [:], valueLocations: [String: SourceLocation] = [:],
        baseDirectory: String? = nil
    ) {
        self.driver = driver; self.options = options; self.what = what; self.location = location
        self.driverLocation = driverLocation ?? location; self.keyLocations = keyLocations
        self.valueLocations = valueLocations; self.baseDirectory = baseDirectory
    }

    public func keyLocation(_ key: String) -> SourceLocation { keyLocations[key] ?? location }
    public func valueLocation(_ key: String) -> SourceLocation { valueLocations[key] ?? keyLocation(key) }

    public subscript(_ key: String) -> ConfigValue? { options[key] }

    public func string(_ key: String) -> String? { options[key]?.text }

    public func number(_ key: String) -> Double? {
        switch options[key] {
        case let .number(n)?: n
        case let .string(s)?: Double(s)
        default: nil
        }
    }

    public func int(_ key: String) -> Int? { number(key).flatMap { $0 == $0.rounded() ? Int(exactly: $0) : nil } }

    public func bool(_ key: String) -> Bool? {
        switch options[key] {
        case let .bool(b)?: b
        case let .string(s)?: ["true", "yes", "on"].contains(s.lowercased()) ? true
            : ["false", "no", "off"].contains(s.lowercased()) ? false : nil
        default: nil
        }
    }

    /// A path option made absolute against `baseDirectory` when it is relative.
    public func path(_ key: String) -> String? {
        guard let p = string(key) else { return nil }
        return Self.resolve(p, against: baseDirectory)
    }

    public static func resolve(_ path: String, against base: String?) -> String {
        guard let base, !base.isEmpty, !path.hasPrefix("/") else { return path }
        return URL(fileURLWithPath: base).appendingPathComponent(path).standardizedFileURL.path
    }
}

/// Every problem found in a deployment configuration, not only the first.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public var description: String {
        let errors = diagnostics.filter { $0.severity == .error }.count
        return (diagnostics.sortedByLocation().map(\.description)
            + ["configuration refused: \(errors) error(s)"]).joined(separator: "\n")
    }
}

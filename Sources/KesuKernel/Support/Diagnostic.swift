import Foundation

/// Where a value came from: a pack file and a 1-based line and column.
public struct SourceLocation: Hashable, Sendable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// A location for definitions built in code rather than loaded from a file.
    public static func code(_ name: String = "<code>") -> SourceLocation {
        SourceLocation(file: name, line: 0, column: 0)
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One problem found in a rule pack, printed as `file:line:column: error: message`.
public struct Diagnostic: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Severity: String, Sendable, Codable, Comparable {
        case warning, error
        public static func < (a: Severity, b: Severity) -> Bool { a == .warning && b == .error }
    }

    public var severity: Severity
    public var location: SourceLocation
    public var message: String

    public init(_ severity: Severity, _ location: SourceLocation, _ message: String) {
        self.severity = severity
        self.location = location
        self.message = message
    }

    public static func error(_ location: SourceLocation, _ message: String) -> Diagnostic {
        Diagnostic(.error, location, message)
    }

    public static func warning(_ location: SourceLocation, _ message: String) -> Diagnostic {
        Diagnostic(.warning, location, message)
    }

    public var description: String { "\(location): \(severity.rawValue): \(message)" }
}

extension Array where Element == Diagnostic {
    public var hasErrors: Bool { contains { $0.severity == .error } }

    /// Diagnostics in reading order: by file, line, column.
    public func sortedByLocation() -> [Diagnostic] {
        sorted {
            ($0.location.file, $0.location.line, $0.location.column, $0.message)
                < ($1.location.file, $1.location.line, $1.location.column, $1.message)
        }
    }
}

/// A rule pack that failed to load: every problem, not only the first.
public struct RulePackError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public var description: String {
        let errors = diagnostics.filter { $0.severity == .error }.count
        return (diagnostics.sortedByLocation().map(\.description)
            + ["rule pack refused: \(errors) error(s)"]).joined(separator: "\n")
    }
}

/// "did you mean" suggestions, as swift-argument-parser gives them.
public enum Suggest {
    /// The closest candidate within a small edit distance, if any.
    public static func closest(to input: String, in candidates: some Sequence<String>) -> String? {
        let limit = max(2, input.count / 3)
        var best: (String, Int)?
        for c in candidates {
            let d = distance(input.lowercased(), c.lowercased())
            if d <= limit, d < (best?.1 ?? Int.max) { best = (c, d) }
        }
        return best?.0
    }

    /// " (did you mean 'x'?)" or, failing that, " (known: a, b, c)".
    public static func hint(for input: String, in candidates: [String]) -> String {
        if let c = closest(to: input, in: candidates) { return "; did you mean '\(c)'?" }
        if candidates.isEmpty { return "" }
        let shown = candidates.prefix(12).joined(separator: ", ")
        return "; known: \(shown)\(candidates.count > 12 ? ", …" : "")"
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }
}

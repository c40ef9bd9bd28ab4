import Foundation
import KesuKernel
import Yams

/// `plugins/<name>/plugin.yaml`: what a plugin is and how to run it.
///
/// ```yaml
/// id: wecom-robot
/// kind: notifier            # notifier | scorer | source, or a list ([source, notifier])
/// version: 1.0.0
/// protocol: [1]             # protocol versions the plugin speaks
/// command: [python3, plugin.py]   # argv; relative paths are relative to the plugin folder
/// timeouts: {initialize: 5000, call: 10000}   # milliseconds
/// env: [HTTPS_PROXY]        # the only environment variables passed through
/// options: {url: "https://…"}     # free mapping, sent in `initialize`
/// ```
public struct PluginManifest: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case notifier, scorer
        /// Brings cases in (protocol 2: `poll`, `ack`), docs/integrations.md.
        case source

        /// The capability the plugin must announce in `initialize` to be used as this kind (any of them).
        var capabilities: [String] {
            switch self {
            case .notifier: ["notify", "event"]
            case .scorer: ["score"]
            case .source: ["poll"]
            }
        }
    }

    public var id: String
    /// The first of `kinds`.
    public var kind: Kind { kinds[0] }
    /// What the plugin can be used as: one kind, or several (a two-way sync is a source and a notifier).
    public var kinds: [Kind]
    public var version: String
    /// Protocol versions the plugin speaks.
    public var protocols: [Int]
    /// argv; the first element is a path relative to the folder (when it holds a `/`) or a program on the host's PATH.
    public var command: [String]
    public var initializeTimeout: Duration
    public var callTimeout: Duration
    /// Names of environment variables passed through; nothing else is inherited.
    public var env: [String]
    /// Free mapping sent in `initialize` (the plugin's configuration).
    public var options: [String: JSONValue]
    /// The plugin folder (absolute).
    public var directory: String

    public init(
        id: String, kind: Kind, version: String, protocols: [Int] = [1], command: [String],
        initializeTimeout: Duration = .seconds(5), callTimeout: Duration = .seconds(10), env: [String] = [],
        options: [String: JSONValue] = [:], directory: String, kinds more: [Kind] = []
    ) {
        self.id = id; self.kinds = [kind] + more.filter { $0 != kind }; self.version = version; self.protocols = protocols; self.command = command
        self.initializeTimeout = initializeTimeout; self.callTimeout = callTimeout; self.env = env
        self.options = options; self.directory = directory
    }

    /// Options that name a file or folder (`path`, `…_path`, `…_file`, `…_dir`): relative values in
    /// `kesu.yaml` resolve from its folder (those in `plugin.yaml` are the plugin's to read, from its folder).
    public static func isPathOption(_ key: String) -> Bool {
        key == "path" || key == "file" || key == "dir" || ["_path", "_file", "_dir"].contains { key.hasSuffix($0) }
    }

    /// The manifest with some options replaced (configuration from `kesu.yaml`, a test's webhook URL).
    public func with(options more: [String: JSONValue]) -> PluginManifest {
        var m = self
        m.options.merge(more) { _, new in new }
        return m
    }
}

/// A `plugin.yaml` that failed to load: every problem, each with file:line:column.
public struct PluginManifestError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public var description: String {
        (diagnostics.sortedByLocation().map(\.description) + ["plugin manifest refused: \(diagnostics.count) error(s)"])
            .joined(separator: "\n")
    }
}

/// Reads `plugin.yaml` with location-aware errors and did-you-mean for unknown keys.
public enum PluginManifestLoader {
    public static let fileName = "plugin.yaml"
    public static let keys = ["id", "kind", "version", "protocol", "command", "timeouts", "env", "options"]
    public static let timeoutKeys = ["initialize", "call"]

    /// Loads `<directory>/plugin.yaml`.
    public static func load(directory: String) throws -> PluginManifest {
        let dir = URL(fileURLWithPath: directory).standardizedFileURL.path
        let path = (dir as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PluginManifestError([.error(SourceLocation(file: path, line: 1, column: 1),
                                              "no \(fileName) in '\(directory)'; a plugin folder needs one")])
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path, directory: dir)
    }

    /// Parses manifest text; `file` names it in diagnostics.
    public static func parse(_ text: String, file: String, directory: String) throws -> PluginManifest {
        var errors: [Diagnostic] = []
        func loc(_ node: Node) -> SourceLocation {
            SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
        }
        func err(_ node: Node, _ message: String) { errors.append(.error(loc(node), message)) }
        let root: Node
        do {
            guard let n = try Yams.compose(yaml: text) else {
                throw PluginManifestError([.error(SourceLocation(file: file, line: 1, column: 1), "\(fileName) is empty")])
            }
            root = n
        } catch let e as PluginManifestError {
            throw e
        } catch let e as YamlError {
            var line = 1, column = 1
            if case let .scanner(_, _, mark, _) = e { line = mark.line; column = mark.column }
            if case let .parser(_, _, mark, _) = e { line = mark.line; column = mark.column }
            throw PluginManifestError([.error(SourceLocation(file: file, line: line, column: column), "not valid YAML: \(e)")])
        }
        guard case let .mapping(map) = root else {
            throw PluginManifestError([.error(loc(root), "expected a mapping at the top of \(fileName)")])
        }
        var entries: [String: Node] = [:]
        for (k, v) in map {
            guard let name = k.scalar?.string else { err(k, "expected a string key"); continue }
            guard keys.contains(name) else {
                err(k, "unknown key '\(name)' in \(fileName)" + Suggest.hint(for: name, in: keys)); continue
            }
            entries[name] = v
        }
        func string(_ key: String) -> String? {
            guard let n = entries[key] else { err(root, "\(fileName) is missing required key '\(key)'"); return nil }
            guard case let .scalar(s) = n, !s.string.isEmpty else { err(n, "expected a string for '\(key)'"); return nil }
            return s.string
        }
        func strings(_ n: Node, _ what: String) -> [String]? {
            guard case let .sequence(seq) = n else { err(n, "expected a list for '\(what)'"); return nil }
            var out: [String] = []
            for item in seq {
                guard case let .scalar(s) = item else { err(item, "expected a string in '\(what)'"); continue }
                out.append(s.string)
            }
            return out
        }
        let id = string("id")
        var kinds: [PluginManifest.Kind] = []
        if let n = entries["kind"] {
            let items: [Node] = if case let .sequence(seq) = n { Array(seq) } else { [n] }
            for item in items {
                let k = item.scalar?.string ?? ""
                if let kind = PluginManifest.Kind(rawValue: k) { if !kinds.contains(kind) { kinds.append(kind) } }
                else { err(item, "unknown kind '\(k)'" + Suggest.hint(for: k, in: PluginManifest.Kind.allCases.map(\.rawValue))) }
            }
            if case .sequence = n, items.isEmpty { err(n, "'kind' needs at least one kind (notifier, scorer or source)") }
        } else { err(root, "\(fileName) is missing required key 'kind' (notifier, scorer or source)") }
        let kind = kinds.first
        let version = string("version")
        var protocols: [Int] = []
        if let n = entries["protocol"] {
            let items: [Node] = if case let .sequence(seq) = n { Array(seq) } else { [n] }
            for item in items {
                if let s = item.scalar?.string, let v = Int(s), v > 0 { protocols.append(v) }
                else { err(item, "expected a protocol version (a whole number such as 1)") }
            }
        } else { err(root, "\(fileName) is missing required key 'protocol' (e.g. protocol: [1])") }
        var command: [String] = []
        if let n = entries["command"] {
            if case let .scalar(s) = n { command = [s.string] } else { command = strings(n, "command") ?? [] }
            if command.isEmpty || command[0].isEmpty { err(n, "'command' needs at least the program to run") }
        } else { err(root, "\(fileName) is missing required key 'command' (e.g. command: [python3, plugin.py])") }
        var initialize = Duration.seconds(5), call = Duration.seconds(10)
        if let n = entries["timeouts"] {
            if case let .mapping(tm) = n {
                for (k, v) in tm {
                    let name = k.scalar?.string ?? ""
                    guard timeoutKeys.contains(name) else {
                        err(k, "unknown key '\(name)' in 'timeouts'" + Suggest.hint(for: name, in: timeoutKeys)); continue
                    }
                    guard let ms = v.scalar.flatMap({ Int($0.string) }), ms > 0 else {
                        err(v, "expected milliseconds (a whole number above 0) for 'timeouts.\(name)'"); continue
                    }
                    if name == "initialize" { initialize = .milliseconds(ms) } else { call = .milliseconds(ms) }
                }
            } else { err(n, "expected a mapping for 'timeouts' (initialize, call in milliseconds)") }
        }
        var env: [String] = []
        if let n = entries["env"] { env = strings(n, "env") ?? [] }
        var options: [String: JSONValue] = [:]
        if let n = entries["options"] {
            if case .mapping = n, case let .object(o) = json(n) { options = o }
            else { err(n, "expected a mapping for 'options'") }
        }
        guard errors.isEmpty, let id, let kind, let version else { throw PluginManifestError(errors) }
        return PluginManifest(id: id, kind: kind, version: version, protocols: protocols, command: command,
                              initializeTimeout: initialize, callTimeout: call, env: env, options: options,
                              directory: directory, kinds: kinds)
    }

    /// A YAML node as JSON: plain scalars become null, booleans and numbers where they read as such.
    static func json(_ node: Node) -> JSONValue {
        switch node {
        case let .scalar(s):
            guard s.style == .plain else { return .string(s.string) }
            let t = s.string
            if ["", "~", "null", "Null", "NULL"].contains(t) { return .null }
            if ["true", "True", "TRUE"].contains(t) { return .bool(true) }
            if ["false", "False", "FALSE"].contains(t) { return .bool(false) }
            if let i = Int(t) { return .number(Double(i)) }
            if let d = Double(t), d.isFinite { return .number(d) }
            return .string(t)
        case let .sequence(seq): return .array(seq.map(json))
        case let .mapping(map):
            var o: [String: JSONValue] = [:]
            for (k, v) in map { o[k.scalar?.string ?? ""] = json(v) }
            return .object(o)
        case .alias: return .null
        }
    }

    /// Plugin folders (those holding a plugin.yaml) directly under `root`, sorted by name.
    public static func folders(under root: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.sorted().map { (root as NSString).appendingPathComponent($0) }
            .filter { FileManager.default.fileExists(atPath: ($0 as NSString).appendingPathComponent(fileName)) }
    }
}

import Foundation
import KesuKernel
import Yams

/// Collects diagnostics while a pack is read; reading never stops at the first problem.
final class DiagnosticSink {
    var items: [Diagnostic] = []
    func error(_ location: SourceLocation, _ message: String) { items.append(.error(location, message)) }
    func warning(_ location: SourceLocation, _ message: String) { items.append(.warning(location, message)) }
}

/// Reads composed YAML nodes of one file by hand, reporting wrong types, missing keys and unknown keys.
struct NodeReader {
    /// The file name used in diagnostics.
    let file: String
    let sink: DiagnosticSink

    var start: SourceLocation { SourceLocation(file: file, line: 1, column: 1) }

    func location(_ node: Node) -> SourceLocation {
        guard let mark = node.mark else { return start }
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    func error(_ node: Node, _ message: String) { sink.error(location(node), message) }

    static func isNull(_ node: Node) -> Bool {
        guard case let .scalar(s) = node, s.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(s.string)
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar: return isNull(node) ? "nothing" : "'\(node.scalar?.string ?? "")'"
        }
    }

    /// The node as a mapping with only `allowed` keys and every `required` key; nil (reported) if not a mapping.
    func mapping(_ node: Node, _ what: String, allowed: [String], required: [String] = []) -> MapReader? {
        guard case let .mapping(map) = node else {
            error(node, "expected a mapping for \(what), found \(Self.describe(node))")
            return nil
        }
        var entries: [String: (key: Node, value: Node)] = [:]
        var order: [String] = []
        for (key, value) in map {
            guard case let .scalar(k) = key else {
                error(key, "expected a string key in \(what), found \(Self.describe(key))")
                continue
            }
            let name = k.string
            guard allowed.contains(name) else {
                sink.error(location(key), "unknown key '\(name)' in \(what)" + Suggest.hint(for: name, in: allowed))
                continue
            }
            if Self.isNull(value) { continue }  // `key:` with no value counts as absent
            entries[name] = (key, value)
            order.append(name)
        }
        let reader = MapReader(reader: self, node: node, what: what, entries: entries, order: order)
        for key in required where entries[key] == nil {
            error(node, "\(what) is missing required key '\(key)'")
        }
        return reader
    }

    /// The node as a list; nil (reported) if not a list.
    func list(_ node: Node, _ what: String) -> [Node]? {
        guard case let .sequence(seq) = node else {
            error(node, "expected a list for \(what), found \(Self.describe(node))")
            return nil
        }
        return Array(seq)
    }

    func string(_ node: Node, _ what: String) -> String? {
        guard case let .scalar(s) = node, !Self.isNull(node) else {
            error(node, "expected a string for \(what), found \(Self.describe(node))")
            return nil
        }
        return s.string
    }

    func strings(_ node: Node, _ what: String) -> [String] {
        guard let items = list(node, what) else { return [] }
        return items.compactMap { string($0, "an entry of \(what)") }
    }

    func bool(_ node: Node, _ what: String) -> Bool? {
        guard let text = string(node, what) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            error(node, "expected true or false for \(what), found '\(text)'")
            return nil
        }
    }

    func int(_ node: Node, _ what: String) -> Int? {
        guard let text = string(node, what) else { return nil }
        guard let value = Int(text) else {
            error(node, "expected a whole number for \(what), found '\(text)'")
            return nil
        }
        return value
    }

    func number(_ node: Node, _ what: String) -> Double? {
        guard let text = string(node, what) else { return nil }
        guard let value = Double(text), value.isFinite else {
            error(node, "expected a number for \(what), found '\(text)'")
            return nil
        }
        return value
    }

    /// A string that must be one of `choices` (an enum's raw values).
    func oneOf<E: RawRepresentable>(_ node: Node, _ what: String, _ type: E.Type, choices: [String]) -> E?
    where E.RawValue == String {
        guard let text = string(node, what) else { return nil }
        guard let value = E(rawValue: text) else {
            error(node, "unknown \(what) '\(text)'" + Suggest.hint(for: text, in: choices))
            return nil
        }
        return value
    }
}

/// A mapping whose keys were checked; typed accessors report wrong types and return nil/defaults.
struct MapReader {
    let reader: NodeReader
    let node: Node
    let what: String
    let entries: [String: (key: Node, value: Node)]
    let order: [String]

    var location: SourceLocation { reader.location(node) }
    func has(_ key: String) -> Bool { entries[key] != nil }
    subscript(_ key: String) -> Node? { entries[key]?.value }
    func keyLocation(_ key: String) -> SourceLocation {
        entries[key].map { reader.location($0.key) } ?? location
    }
    func valueLocation(_ key: String) -> SourceLocation {
        entries[key].map { reader.location($0.value) } ?? location
    }
    func label(_ key: String) -> String { "'\(key)' of \(what)" }

    func string(_ key: String) -> String? { self[key].flatMap { reader.string($0, label(key)) } }
    func strings(_ key: String) -> [String] { self[key].map { reader.strings($0, label(key)) } ?? [] }
    func bool(_ key: String, default value: Bool = false) -> Bool {
        self[key].flatMap { reader.bool($0, label(key)) } ?? value
    }
    func int(_ key: String) -> Int? { self[key].flatMap { reader.int($0, label(key)) } }
    func number(_ key: String) -> Double? { self[key].flatMap { reader.number($0, label(key)) } }
    func list(_ key: String) -> [Node] { self[key].flatMap { reader.list($0, label(key)) } ?? [] }
    func oneOf<E: RawRepresentable>(_ key: String, _ type: E.Type, choices: [String]) -> E?
    where E.RawValue == String {
        self[key].flatMap { reader.oneOf($0, label(key), type, choices: choices) }
    }
}

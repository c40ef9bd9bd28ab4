import Foundation
import KesuKernel
import Yams

/// Reads scenario and pack-test files (`scenarios/*.yaml`, `tests/*.yaml` beside a pack).
/// A file holds one test (a mapping) or several (a list of them). Keys are checked strictly:
/// a mistyped expectation would otherwise be ignored and the test would pass without checking.
public enum ScenarioLoader {
    /// The one scenario in a file (the demo's form).
    public static func load(path: String) throws -> Scenario {
        let all = try loadAll(path: path)
        guard all.count == 1 else {
            throw RulePackError([.error(SourceLocation(file: path, line: 1, column: 1),
                                        "expected one scenario in the file, found \(all.count)")])
        }
        return all[0]
    }

    /// Every test in a file.
    public static func loadAll(path: String) throws -> [Scenario] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw RulePackError([.error(SourceLocation(file: path, line: 1, column: 1), "cannot read the file (missing, or not UTF-8 text)")])
        }
        return try loadAll(text: text, path: path)
    }

    /// Every test in a file's text (`path` names it in diagnostics): a candidate pack's tests, read from memory.
    public static func loadAll(text: String, path: String) throws -> [Scenario] {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw RulePackError([.error(SourceLocation(file: path, line: 1, column: 1), "the file is empty: write a test (name and steps or routes)")])
            }
            root = node
        } catch let e as YamlError {
            let (mark, message) = LoadSession.describe(e)
            throw RulePackError([.error(SourceLocation(file: path, line: mark?.line ?? 1, column: mark?.column ?? 1), message)])
        }
        let items: [Node] = root.sequence.map { Array($0) } ?? [root]
        var problems: [Diagnostic] = []
        for item in items { problems += KeyCheck(file: path).scenario(item) }
        guard problems.isEmpty else { throw RulePackError(problems.sortedByLocation()) }
        var out: [Scenario] = []
        for item in items {
            do {
                out.append(try YAMLDecoder().decode(Scenario.self, from: item))
            } catch let error as DecodingError {
                throw RulePackError([describe(error, in: item, file: path)])
            }
        }
        return out
    }

    /// Test files of a pack: `tests/*.yaml` then `scenarios/*.yaml`, each sorted by name.
    public static func packTestFiles(in pack: String, from source: some PackFileSource = DiskFileSource()) -> [String] {
        ["tests", "scenarios"].flatMap { folder -> [String] in
            let dir = PathText.join(pack, folder)
            let names = source.list(directory: dir).filter { !source.isDirectory(PathText.join(dir, $0)) }
            return names.filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix(".") }.sorted()
                .map { PathText.join(dir, $0) }
        }
    }

    static func describe(_ error: DecodingError, in root: Node, file: String) -> Diagnostic {
        let (path, message): ([any CodingKey], String) = switch error {
        case let .keyNotFound(key, ctx): (ctx.codingPath, "missing '\(key.stringValue)'")
        case let .typeMismatch(type, ctx): (ctx.codingPath, "expected \(expected(type))")
        case let .valueNotFound(type, ctx): (ctx.codingPath, "expected \(expected(type)), found nothing")
        case let .dataCorrupted(ctx): (ctx.codingPath, ctx.debugDescription)
        @unknown default: ([], "\(error)")
        }
        let node = locate(path, in: root)
        let mark = node?.mark
        let at = path.isEmpty ? "" : " at \(pathText(path))"
        return .error(SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1), message + at)
    }

    static func expected(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "a whole number"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is String.Type: "text"
        default: "\(type)".hasPrefix("Dictionary") ? "a mapping" : "\(type)".hasPrefix("Array") ? "a list" : "\(type)"
        }
    }

    /// The node a coding path points at (the deepest one that exists).
    static func locate(_ path: [any CodingKey], in root: Node) -> Node? {
        var node = root
        for key in path {
            if let i = key.intValue, let seq = node.sequence, i < seq.count {
                node = seq[i]
            } else if let map = node.mapping, let value = map[key.stringValue] {
                node = value
            } else {
                break
            }
        }
        return node
    }

    static func pathText(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0 + 1)]" } ?? ".\($0.stringValue)" }.joined()
    }
}

/// Unknown keys in a test file, each at its line and column with a did-you-mean.
private struct KeyCheck {
    let file: String

    func unknown<K: CodingKey & CaseIterable>(_ node: Node, _ type: K.Type, _ what: String) -> [Diagnostic] {
        guard let map = node.mapping else { return [] }
        let allowed = K.allCases.map(\.stringValue)
        return map.compactMap { key, _ in
            guard let name = key.string, !allowed.contains(name) else { return nil }
            return .error(SourceLocation(file: file, line: key.mark?.line ?? 1, column: key.mark?.column ?? 1),
                          "unknown key '\(name)' in \(what)" + Suggest.hint(for: name, in: allowed)
                            + (Suggest.closest(to: name, in: allowed) == nil ? " (known: \(allowed.joined(separator: ", ")))" : ""))
        }
    }

    func scenario(_ node: Node) -> [Diagnostic] {
        var out = unknown(node, Scenario.CodingKeys.self, "a test")
        for step in node.mapping?["steps"]?.sequence ?? [] {
            out += unknown(step, Scenario.Step.CodingKeys.self, "a step")
            if let x = step.mapping?["extend"] { out += unknown(x, Scenario.ExtendStep.CodingKeys.self, "'extend'") }
            if let x = step.mapping?["expect"] { out += unknown(x, Scenario.Expect.CodingKeys.self, "'expect'") }
        }
        for row in node.mapping?["routes"]?.sequence ?? [] {
            out += unknown(row, Scenario.RouteCheck.CodingKeys.self, "a route row")
        }
        return out
    }
}

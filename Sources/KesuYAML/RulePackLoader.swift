import Foundation
import KesuKernel
import Yams

/// A pack read from a folder, with the warnings found on the way and the files it came from.
public struct LoadedPack: Sendable {
    public var pack: RulePack
    public var warnings: [Diagnostic]
    /// Every file read, as named in diagnostics (pack files, then included calendars).
    public var files: [String]
    public init(pack: RulePack, warnings: [Diagnostic], files: [String]) {
        self.pack = pack; self.warnings = warnings; self.files = files
    }
}

/// Loads a rule pack folder (docs/rule-packs.md) and checks it.
public struct RulePackLoader: Sendable {
    /// The top-level sections of a pack file (PackVocabulary.swift).
    public static let sections = PackVocabulary.keys("pack_file")

    public init() {}

    /// Loads the pack folder; throws RulePackError with EVERY problem (errors and warnings, sorted by location) if any error.
    public func load(directory: String) throws -> LoadedPack {
        let sink = DiagnosticSink()
        var session = LoadSession(directory: directory, sink: sink)
        let pack = session.run()
        var all = sink.items
        if let pack { all += pack.validate() }
        all = unique(all).sortedByLocation()
        guard let pack, !all.hasErrors else { throw RulePackError(all) }
        return LoadedPack(pack: pack, warnings: all, files: session.filesRead)
    }

    private func unique(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        return diagnostics.filter { seen.insert($0).inserted }
    }
}

/// Path helpers: lexical, so diagnostics keep the relative paths people typed.
enum PathText {
    static func join(_ directory: String, _ name: String) -> String {
        if name.hasPrefix("/") { return name }
        if directory.isEmpty || directory == "." { return name }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }

    /// Removes `.` and resolves `..` lexically (`a/b/../c` → `a/c`), keeping leading `..` of relative paths.
    static func standardize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
            } else if part == "..", absolute {
                continue
            } else {
                parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }
}

/// One load: reads files, splits them into sections, builds the model.
struct LoadSession {
    let directory: String
    let sink: DiagnosticSink
    /// Files read, as named in diagnostics.
    var filesRead: [String] = []
    /// Bytes of every file read, keyed by path relative to the pack folder (for the version hash).
    var hashed: [String: [UInt8]] = [:]
    /// Each section's node and the reader of its file.
    var sections: [String: (reader: NodeReader, key: Node, value: Node)] = [:]

    init(directory: String, sink: DiagnosticSink) {
        self.directory = directory
        self.sink = sink
    }

    var packFile: String { PathText.join(directory, "pack.yaml") }

    mutating func run() -> RulePack? {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            sink.error(SourceLocation(file: directory, line: 1, column: 1), "rule pack folder '\(directory)' not found")
            return nil
        }
        let names = ((try? fm.contentsOfDirectory(atPath: directory)) ?? []).filter { name in
            guard name.hasSuffix(".yaml") || name.hasSuffix(".yml"), !name.hasPrefix(".") else { return false }
            var sub: ObjCBool = false
            return fm.fileExists(atPath: PathText.join(directory, name), isDirectory: &sub) && !sub.boolValue
        }.sorted()
        if !names.contains("pack.yaml") {
            sink.error(SourceLocation(file: directory, line: 1, column: 1),
                       "rule pack has no pack.yaml (the file holding the `pack:` section)")
        }
        let ordered = (names.contains("pack.yaml") ? ["pack.yaml"] : []) + names.filter { $0 != "pack.yaml" }
        for name in ordered {
            readPackFile(name)
        }
        return build()
    }

    /// Reads a file's bytes and records it for the version; nil (reported at `at`) if unreadable.
    mutating func readBytes(path: String, relative: String, reportAt: SourceLocation) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else {
            sink.error(reportAt, "cannot read '\(path)': no such file")
            return nil
        }
        let bytes = [UInt8](data)
        if hashed[relative] == nil {
            hashed[relative] = bytes
            filesRead.append(path)
        }
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            sink.error(SourceLocation(file: path, line: 1, column: 1), "file is not UTF-8 text")
            return nil
        }
        return text
    }

    /// Parses YAML text into a node; a syntax error becomes a diagnostic at Yams' mark (already 1-based).
    func compose(_ text: String, file: String) -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            let (mark, message) = Self.describe(error)
            sink.error(SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1), message)
            return nil
        } catch {
            sink.error(SourceLocation(file: file, line: 1, column: 1), "YAML error: \(error)")
            return nil
        }
    }

    static func describe(_ error: YamlError) -> (Mark?, String) {
        func text(_ kind: String, _ context: YamlError.Context?, _ problem: String) -> String {
            let ctx = context.map { "\($0.text) (line \($0.mark.line), column \($0.mark.column)): " } ?? ""
            return "YAML syntax error: \(ctx)\(problem)"
        }
        switch error {
        case let .scanner(context, problem, mark, _): return (mark, text("scanner", context, problem))
        case let .parser(context, problem, mark, _): return (mark, text("parser", context, problem))
        case let .composer(context, problem, mark, _): return (mark, text("composer", context, problem))
        case let .duplicatedKeysInMapping(duplicates, context):
            return (context.mark, "duplicate key(s) in one mapping: " + duplicates.sorted().map { "'\($0)'" }.joined(separator: ", "))
        case let .reader(problem, _, _, _): return (nil, "YAML reader error: \(problem)")
        default: return (nil, "YAML error: \(error)")
        }
    }

    mutating func readPackFile(_ name: String) {
        let path = PathText.join(directory, name)
        guard let text = readBytes(path: path, relative: name, reportAt: SourceLocation(file: path, line: 1, column: 1)),
              let root = compose(text, file: path) else { return }
        let reader = NodeReader(file: path, sink: sink)
        if NodeReader.isNull(root) { return }
        guard case let .mapping(map) = root else {
            reader.error(root, "expected a mapping of sections at the top of the file, found \(NodeReader.describe(root))")
            return
        }
        for (key, value) in map {
            guard let section = reader.string(key, "a section name") else { continue }
            guard RulePackLoader.sections.contains(section) else {
                reader.error(key, "unknown section '\(section)'" + Suggest.hint(for: section, in: RulePackLoader.sections))
                continue
            }
            if let first = sections[section] {
                reader.error(key, "section '\(section)' is already defined at \(first.reader.location(first.key)); a section may appear in only one file")
                continue
            }
            sections[section] = (reader, key, value)
        }
        if name == "pack.yaml", sections["pack"] == nil {
            sink.error(reader.location(root), "pack.yaml must hold the `pack:` section")
        }
    }
}

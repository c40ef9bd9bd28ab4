import Foundation
import KesuKernel
import Yams

/// A pack read from a folder, with the warnings found on the way and the files it came from.
public struct LoadedPack: Sendable {
    public var pack: RulePack
    public var warnings: [Diagnostic]
    /// Every file read, as named in diagnostics (the pack's files, the files of the packs it
    /// extends, then included calendars).
    public var files: [String]
    /// The text of every file read, by the path used to read it: enough to load this very
    /// version again with `RulePackLoader().load(snapshot:)` after the folder has changed.
    public var snapshot: PackSnapshot

    public init(pack: RulePack, warnings: [Diagnostic], files: [String], snapshot: PackSnapshot? = nil) {
        self.pack = pack; self.warnings = warnings; self.files = files
        self.snapshot = snapshot
            ?? PackSnapshot(version: pack.version, packID: pack.info.id, name: pack.info.name, root: "", files: [:])
    }
}

/// Loads a rule pack folder (docs/rule-packs.md) and checks it.
public struct RulePackLoader: Sendable {
    /// The top-level sections of a pack file (PackVocabulary.swift).
    public static let sections = PackVocabulary.keys("pack_file")

    public init() {}

    /// Loads the pack folder; throws RulePackError with EVERY problem (errors and warnings, sorted by location) if any error.
    public func load(directory: String) throws -> LoadedPack {
        try load(directory: directory, from: DiskFileSource())
    }

    /// Loads a pack version from its snapshot (the folder named `root`, read from the snapshot's
    /// texts only). The loaded version is the hash of those texts: equal to `snapshot.version`
    /// unless the texts were changed.
    public func load(snapshot: PackSnapshot) throws -> LoadedPack {
        try load(directory: snapshot.root, from: MemoryFileSource(snapshot.files))
    }

    /// Loads the pack folder `directory` from `source`.
    public func load(directory: String, from source: some PackFileSource) throws -> LoadedPack {
        let sink = DiagnosticSink()
        var session = LoadSession(directory: directory, source: source, sink: sink)
        let pack = session.run()
        var all = sink.items
        if let pack { all += pack.validate() }
        all = unique(all).sortedByLocation()
        guard let pack, !all.hasErrors else { throw RulePackError(all) }
        let snapshot = PackSnapshot(version: pack.version, packID: pack.info.id, name: pack.info.name, root: directory,
                                    files: session.texts)
        return LoadedPack(pack: pack, warnings: all, files: session.filesRead, snapshot: snapshot)
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

/// One section as written in one file.
struct SectionSource {
    let reader: NodeReader
    let key: Node
    let value: Node
}

/// One pack folder's files: the pack being loaded, or a pack it extends (directly or further up).
struct PackLayer {
    /// The folder, as used to read its files.
    let directory: String
    /// The folder relative to the loaded pack's folder (`.` for the pack itself), for the version hash.
    let relative: String
    var sections: [String: SectionSource] = [:]
    /// The pack names a parent in `pack: extends:` (so `before`, `after` and `remove` are allowed).
    var extends = false
    /// The parent was loaded (false if it is missing or makes a cycle: then merging reports nothing more).
    var parentLoaded = false
}

/// One load: reads files, splits them into sections, merges the packs extended, builds the model.
struct LoadSession {
    let directory: String
    let source: any PackFileSource
    let sink: DiagnosticSink
    /// Files read, as named in diagnostics.
    var filesRead: [String] = []
    /// Bytes of every file read, keyed by path relative to the pack folder (for the version hash).
    var hashed: [String: [UInt8]] = [:]
    /// The hash key (path relative to the pack folder) of every file read, by the path used to read it.
    var hashKeys: [String: String] = [:]
    /// The text of every file read, by the path used to read it (the snapshot).
    var texts: [String: String] = [:]
    /// The pack and the packs it extends, the pack itself first.
    var layers: [PackLayer] = []
    /// The mapping sections replaced as a whole (`pack`, `calendar`): from the nearest pack giving them.
    var sections: [String: SectionSource] = [:]

    init(directory: String, source: any PackFileSource, sink: DiagnosticSink) {
        self.directory = directory
        self.source = source
        self.sink = sink
    }

    var packFile: String { PathText.join(directory, "pack.yaml") }

    mutating func run() -> RulePack? {
        guard readLayer(directory: directory, relative: ".", extendsAt: nil, chain: []) else { return nil }
        // `pack` is the loaded pack's own; `calendar` is inherited unless given.
        if let own = layers.first?.sections["pack"] { sections["pack"] = own }
        if let calendar = layers.lazy.compactMap({ $0.sections["calendar"] }).first { sections["calendar"] = calendar }
        return build()
    }

    /// Reads one pack folder's files into a new layer, then the pack it extends; false if the folder is missing.
    /// `extendsAt` is the `extends` value that named this folder (nil for the pack being loaded).
    mutating func readLayer(directory: String, relative: String, extendsAt: SourceLocation?, chain: [String]) -> Bool {
        guard source.isDirectory(directory) else {
            sink.error(extendsAt ?? SourceLocation(file: directory, line: 1, column: 1), "rule pack folder '\(directory)' not found")
            return false
        }
        let names = source.list(directory: directory).filter { name in
            guard name.hasSuffix(".yaml") || name.hasSuffix(".yml"), !name.hasPrefix(".") else { return false }
            return !source.isDirectory(PathText.join(directory, name))
        }.sorted()
        if !names.contains("pack.yaml") {
            sink.error(extendsAt ?? SourceLocation(file: directory, line: 1, column: 1),
                       "rule pack \(extendsAt == nil ? "" : "'\(directory)' ")has no pack.yaml (the file holding the `pack:` section)")
        }
        var layer = PackLayer(directory: directory, relative: relative)
        let ordered = (names.contains("pack.yaml") ? ["pack.yaml"] : []) + names.filter { $0 != "pack.yaml" }
        for name in ordered {
            readPackFile(name, into: &layer)
        }
        let index = layers.count
        layers.append(layer)

        // `pack: extends: FOLDER`: the parent, read after this pack (and its own parent after it).
        guard let pack = layer.sections["pack"], case let .mapping(map) = pack.value,
              let node = map["extends"], !NodeReader.isNull(node) else { return true }
        layers[index].extends = true
        guard let path = pack.reader.string(node, "'extends' of section 'pack'") else { return true }
        let at = pack.reader.location(node)
        let parent = PathText.standardize(PathText.join(directory, path))
        let here = chain + [PathText.standardize(directory)]
        if here.contains(parent) {
            let cycle = (here.drop(while: { $0 != parent }) + [parent]).joined(separator: " → ")
            sink.error(at, "'extends: \(path)' makes a cycle: \(cycle); a pack cannot extend itself")
            return true
        }
        guard source.isDirectory(parent) else {
            sink.error(at, "extended rule pack folder '\(path)' not found (looked for \(parent))")
            return true
        }
        let parentRelative = PathText.standardize(PathText.join(relative, path))
        layers[index].parentLoaded = readLayer(directory: parent, relative: parentRelative, extendsAt: at, chain: here)
        return true
    }

    /// Pack files are rules, a few KiB each; anything this large is a mistake, and parsing it would stall the loader.
    static let maxFileBytes = 4 * 1024 * 1024

    /// Where the first byte that is not UTF-8 sits.
    static func firstInvalidUTF8(_ bytes: [UInt8], file: String) -> SourceLocation {
        var it = bytes.makeIterator()
        var decoder = UTF8()
        var line = 1, column = 1
        while true {
            switch decoder.decode(&it) {
            case let .scalarValue(s):
                if s == "\n" { line += 1; column = 1 } else { column += 1 }
            case .emptyInput, .error:
                return SourceLocation(file: file, line: line, column: column)
            }
        }
    }

    /// Reads a file's bytes and records it for the version; nil (reported at `at`) if unreadable.
    /// `relative` is the file's path relative to the loaded pack's folder (its key in the version hash).
    mutating func readBytes(path: String, relative: String, reportAt: SourceLocation) -> String? {
        guard let bytes = source.read(path) else {
            sink.error(reportAt, "cannot read '\(path)': no such file")
            return nil
        }
        if bytes.count > Self.maxFileBytes {
            sink.error(SourceLocation(file: path, line: 1, column: 1),
                       "file is \(bytes.count / 1024) KiB; a rule pack file may be at most \(Self.maxFileBytes / 1024 / 1024) MiB (is this the file you meant? split a large table across files)")
            return nil
        }
        if hashed[relative] == nil {
            hashed[relative] = bytes
            hashKeys[path] = relative
            filesRead.append(path)
        }
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            sink.error(Self.firstInvalidUTF8(bytes, file: path), "file is not UTF-8 text (save it as UTF-8; GBK/GB 18030 files must be converted, e.g. iconv -f GB18030 -t UTF-8)")
            return nil
        }
        if let (line, column, scalar) = Self.firstControlCharacter(text) {
            sink.error(SourceLocation(file: path, line: line, column: column),
                       String(format: "control character U+%04X is not allowed in YAML; delete it", scalar.value))
            return nil
        }
        texts[path] = text
        return text
    }

    /// The first character YAML forbids (C0 controls but tab, LF and CR; DEL), with its place.
    static func firstControlCharacter(_ text: String) -> (Int, Int, Unicode.Scalar)? {
        var line = 1, column = 1
        for s in text.unicodeScalars {
            if s == "\n" { line += 1; column = 1; continue }
            if (s.value < 0x20 && s != "\t" && s != "\r") || s.value == 0x7F { return (line, column, s) }
            column += 1
        }
        return nil
    }

    /// The path of `name` relative to the loaded pack's folder, when named in the file `file`
    /// (an included calendar's key in the version hash).
    func relativePath(of name: String, namedIn file: String) -> String {
        let base = hashKeys[file].map(PathText.directory(of:)) ?? "."
        return PathText.standardize(PathText.join(base, name))
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

    mutating func readPackFile(_ name: String, into layer: inout PackLayer) {
        let path = PathText.join(layer.directory, name)
        let relative = layer.relative == "." ? name : PathText.standardize(PathText.join(layer.relative, name))
        guard let text = readBytes(path: path, relative: relative, reportAt: SourceLocation(file: path, line: 1, column: 1)),
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
            if let first = layer.sections[section] {
                reader.error(key, "section '\(section)' is already defined at \(first.reader.location(first.key)); a section may appear in only one file")
                continue
            }
            layer.sections[section] = SectionSource(reader: reader, key: key, value: value)
        }
        if name == "pack.yaml", layer.sections["pack"] == nil {
            sink.error(reader.location(root), "pack.yaml must hold the `pack:` section")
        }
    }
}

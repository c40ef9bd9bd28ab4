import Foundation
import KesuKernel

/// A candidate pack's files: its own inside its folder, and what it reads from outside the
/// folder (`../calendars/…`, a pack it extends) from the pack in force's snapshot or, failing
/// that, the disk, so an uploaded folder resolves its relative paths as the pack in force does.
public struct CandidateFileSource: PackFileSource {
    let root: String
    let inside: MemoryFileSource
    let outside: [any PackFileSource]

    public init(_ candidate: PackCandidate, outside snapshot: PackSnapshot?) {
        root = PathText.standardize(candidate.root)
        var files: [String: String] = [:]
        for (path, text) in candidate.files { files[PathText.join(root, path)] = text }
        inside = MemoryFileSource(files)
        outside = (snapshot.map { [MemoryFileSource($0.files)] } ?? []) + [DiskFileSource()]
    }

    func isInside(_ path: String) -> Bool {
        let p = PathText.standardize(path)
        if root == "." { return p != ".." && !p.hasPrefix("../") && !p.hasPrefix("/") }
        return p == root || p.hasPrefix(root + "/")
    }

    public func exists(_ path: String) -> Bool { isInside(path) ? inside.exists(path) : outside.contains { $0.exists(path) } }
    public func isDirectory(_ path: String) -> Bool {
        isInside(path) ? inside.isDirectory(path) || PathText.standardize(path) == root : outside.contains { $0.isDirectory(path) }
    }
    public func list(directory path: String) -> [String] {
        if isInside(path) { return inside.list(directory: path) }
        return outside.first { $0.isDirectory(path) }?.list(directory: path) ?? []
    }
    public func read(_ path: String) -> [UInt8]? {
        if isInside(path) { return inside.read(path) }
        for s in outside { if let b = s.read(path) { return b } }
        return nil
    }
}

/// Reading, checking and testing candidate packs for the rules desk.
public enum CandidatePacks {
    /// The kinds of file a pack folder holds; anything else in an upload is listed as ignored.
    static let textSuffixes = [".yaml", ".yml", ".md", ".txt", ".json", ".csv"]

    /// The text files of an uploaded zip of a pack folder.
    public static func files(zip: [UInt8]) throws -> (files: [String: String], ignored: [String]) {
        let archive = try PackArchive(zip: zip)
        return texts(archive.files)
    }

    /// The text files of a folder on the server (a pack folder: files below it, dot files skipped).
    public static func files(folder: String) throws -> (files: [String: String], ignored: [String]) {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw PackArchive.Failure("there is no folder '\(folder)' on the server")
        }
        guard fm.fileExists(atPath: PathText.join(folder, "pack.yaml")) else {
            throw PackArchive.Failure("folder '\(folder)' has no pack.yaml: name the pack folder itself")
        }
        var bytes: [String: [UInt8]] = [:]
        var total = 0
        let base = URL(fileURLWithPath: folder)
        guard let walker = fm.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]) else {
            return ([:], [])
        }
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let rel = String(url.standardizedFileURL.path.dropFirst(base.standardizedFileURL.path.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            guard let data = fm.contents(atPath: url.path) else { continue }
            total += data.count
            guard total <= PackArchive.Limits().maxTotalBytes, bytes.count < PackArchive.Limits().maxEntries else {
                throw PackArchive.Failure("folder '\(folder)' holds more than a pack folder does (over \(PackArchive.Limits().maxEntries) files or \(PackArchive.Limits().maxTotalBytes >> 20) MB)")
            }
            bytes[rel] = [UInt8](data)
        }
        return texts(bytes)
    }

    static func texts(_ bytes: [String: [UInt8]]) -> (files: [String: String], ignored: [String]) {
        var files: [String: String] = [:]
        var ignored: [String] = []
        for (path, data) in bytes {
            guard textSuffixes.contains(where: { path.lowercased().hasSuffix($0) }), let text = String(validating: data, as: UTF8.self) else {
                ignored.append(path); continue
            }
            files[path] = text
        }
        return (files, ignored.sorted())
    }

    /// The candidate loaded as a pack, or every problem it has (file:line:column, sorted).
    public static func load(_ c: PackCandidate, outside: PackSnapshot?) -> Result<LoadedPack, RulePackError> {
        do {
            return .success(try RulePackLoader().load(directory: c.root, from: CandidateFileSource(c, outside: outside)))
        } catch let e as RulePackError {
            return .failure(e)
        } catch {
            return .failure(RulePackError([.error(.code(c.root), "\(error)")]))
        }
    }

    /// Runs the candidate's own tests (tests/*.yaml, scenarios/*.yaml) on its pack.
    public static func test(_ c: PackCandidate, pack: RulePack) async -> CandidateTests {
        var problems: [String] = []
        var results: [CandidateTests.Result] = []
        let runner = PackTestRunner(pack: pack)
        for name in c.files.keys.filter({ ($0.hasPrefix("tests/") || $0.hasPrefix("scenarios/")) && ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) })
            .filter({ $0.split(separator: "/").count == 2 }).sorted(by: { ($0.hasPrefix("tests/") ? 0 : 1, $0) < ($1.hasPrefix("tests/") ? 0 : 1, $1) }) {
            let path = PathText.join(c.root, name)
            do {
                for test in try ScenarioLoader.loadAll(text: c.files[name] ?? "", path: path) {
                    let r = await runner.run(test, file: path)
                    results.append(.init(name: r.name, file: path, failures: r.failures))
                }
            } catch let e as RulePackError {
                problems += e.diagnostics.map(\.description)
            } catch {
                problems.append("\(path): \(error)")
            }
        }
        return CandidateTests(results: results, problems: problems)
    }
}

import Foundation
import KesuKernel

/// Where the loader reads a pack's files from: the disk, or the texts of a `PackSnapshot`.
/// Paths are the loader's own lexical paths (`rules/county-example/pack.yaml`,
/// `rules/calendars/cn-2024-2026.yaml`), never resolved against symlinks.
public protocol PackFileSource: Sendable {
    /// A file or a directory is there.
    func exists(_ path: String) -> Bool
    /// A directory is there.
    func isDirectory(_ path: String) -> Bool
    /// The names (not paths) of the files and directories directly in a directory; empty if none.
    func list(directory path: String) -> [String]
    /// The bytes of a file; nil if there is no such file.
    func read(_ path: String) -> [UInt8]?
}

/// The file system.
public struct DiskFileSource: PackFileSource {
    public init() {}

    public func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    public func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    public func list(directory path: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    }

    public func read(_ path: String) -> [UInt8]? {
        guard !isDirectory(path), let data = FileManager.default.contents(atPath: path) else { return nil }
        return [UInt8](data)
    }
}

/// Files held in memory, by path (a snapshot's `files`). Directories are implied by the paths'
/// prefixes: `a/b/pack.yaml` makes `a` and `a/b` directories. Paths are compared after lexical
/// standardizing (`./a/../b/x.yaml` is `b/x.yaml`).
public struct MemoryFileSource: PackFileSource {
    public let files: [String: [UInt8]]

    public init(_ texts: [String: String]) {
        var files: [String: [UInt8]] = [:]
        for (path, text) in texts { files[PathText.standardize(path)] = Array(text.utf8) }
        self.files = files
    }

    public init(bytes: [String: [UInt8]]) {
        var files: [String: [UInt8]] = [:]
        for (path, data) in bytes { files[PathText.standardize(path)] = data }
        self.files = files
    }

    /// The prefix every path inside `directory` starts with ("" for `.`).
    private static func prefix(_ directory: String) -> String {
        let dir = PathText.standardize(directory)
        if dir == "." { return "" }
        return dir.hasSuffix("/") ? dir : dir + "/"
    }

    /// The first path component of each file below `directory` (a file's name or a sub-directory's).
    private func children(_ directory: String) -> [String: Bool] {
        let prefix = Self.prefix(directory)
        var out: [String: Bool] = [:]  // name → is a directory
        for path in files.keys where path.hasPrefix(prefix) {
            let rest = path.dropFirst(prefix.count)
            guard !rest.isEmpty, !rest.hasPrefix("/") else { continue }
            let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            // `..` is not inside the directory (a relative root's sibling, e.g. `../calendars/x.yaml`).
            if name == ".." || name == "." { continue }
            out[name] = (out[name] ?? false) || parts.count > 1
        }
        return out
    }

    public func exists(_ path: String) -> Bool {
        files[PathText.standardize(path)] != nil || isDirectory(path)
    }

    public func isDirectory(_ path: String) -> Bool { !children(path).isEmpty }

    public func list(directory path: String) -> [String] { children(path).keys.sorted() }

    public func read(_ path: String) -> [UInt8]? { files[PathText.standardize(path)] }
}

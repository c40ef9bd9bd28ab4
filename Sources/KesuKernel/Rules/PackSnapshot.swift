import Foundation

/// The source files of one pack version, exactly as they were loaded. The store keeps one per
/// version a case was written under, so a case can go on under the rules it started with
/// (and an auditor can read them) after the folder on disk has moved on.
public struct PackSnapshot: Sendable, Codable, Equatable {
    /// The content hash (`RulePack.version`).
    public var version: String
    /// `pack.id` and `pack.name`, for listings.
    public var packID: String
    public var name: String
    /// The pack folder as it was named when loaded (the loader's `directory`).
    public var root: String
    /// Every file read (pack files, packs it extends, included calendars), by the path used to
    /// read it, with its full text.
    public var files: [String: String]

    public init(version: String, packID: String, name: String, root: String, files: [String: String]) {
        self.version = version; self.packID = packID; self.name = name; self.root = root; self.files = files
    }
}

extension PackSnapshot {
    /// The files as the stores keep them: one JSON object of path → text, keys sorted, so the
    /// same pack is always the same bytes.
    public func storedFiles() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(files), as: UTF8.self)
    }

    /// A snapshot read back from a store's row, its files as `storedFiles()` wrote them.
    public static func stored(version: String, packID: String, name: String, root: String, files json: String) throws -> PackSnapshot {
        let files: [String: String]
        do {
            files = try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
        } catch {
            throw StoreError.failure(operation: "decode the files of pack version \(version.prefix(12))", detail: "\(error)")
        }
        return PackSnapshot(version: version, packID: packID, name: name, root: root, files: files)
    }
}

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

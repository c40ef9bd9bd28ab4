import Foundation

/// One entry of a record stream: an append-only history kept outside cases, for decisions that
/// concern a person or a unit rather than one complaint (a penalty decision, a quarterly report
/// submission). A stream is named by its feature (`penalty:2026Q3-person-yang_fan`); `body` is a
/// JSON document the feature encodes and decodes itself, so the store needs no schema change for a
/// new kind of record.
public struct RecordEvent: Sendable, Codable, Equatable {
    public var stream: String
    /// 1-based position in the stream, set by the store; the store refuses a gap or a repeat.
    public var seq: Int
    public var at: Date
    /// A person id from the pack.
    public var actor: String
    /// The feature's name for what happened, e.g. `decided`.
    public var type: String
    public var packVersion: String
    /// A JSON document, written and read back byte for byte.
    public var body: String

    public init(stream: String = "", seq: Int = 0, at: Date, actor: String, type: String, packVersion: String, body: String) {
        self.stream = stream; self.seq = seq; self.at = at; self.actor = actor; self.type = type
        self.packVersion = packVersion; self.body = body
    }
}

import Foundation
import KesuKernel

/// An instant with the zone it is shown in: encodes as ISO-8601 with that zone's offset
/// (`2026-10-13T18:00:00+08:00`), so every front end prints the pack's local time, and keeps the
/// instant for renderers that write it their own way (`2026年10月13日 18:00`).
public struct ViewTime: Sendable, Equatable, Codable, CustomStringConvertible {
    public var date: Date
    public var zone: TimeZone

    public init(_ date: Date, zone: TimeZone) { self.date = date; self.zone = zone }

    public var description: String { ISO8601.format(date, in: zone) }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let date = ISO8601.parse(text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "'\(text)' is not an ISO-8601 time")
        }
        self.date = date
        self.zone = Self.zone(of: text) ?? TimeZone(identifier: "UTC")!
    }

    /// The fixed offset written at the end of an ISO-8601 time (`+08:00`, `Z`).
    static func zone(of text: String) -> TimeZone? {
        if text.hasSuffix("Z") { return TimeZone(identifier: "UTC") }
        guard text.count >= 6 else { return nil }
        let tail = text.suffix(6)
        guard let sign = tail.first, sign == "+" || sign == "-",
              let h = Int(tail.dropFirst().prefix(2)), let m = Int(tail.suffix(2)) else { return nil }
        return TimeZone(secondsFromGMT: (sign == "-" ? -1 : 1) * (h * 3600 + m * 60))
    }
}

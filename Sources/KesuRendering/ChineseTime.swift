import Foundation
import KesuKernel

/// Times as people read them in Chinese documents and messages: `2026年10月13日 18:00`, in the
/// pack's zone.
public enum ChineseTime {
    public static func format(_ date: Date, in zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%d年%d月%d日 %02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!)
    }

    /// The date alone: `2026年10月13日`.
    public static func date(_ date: Date, in zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return "\(c.year!)年\(c.month!)月\(c.day!)日"
    }
}

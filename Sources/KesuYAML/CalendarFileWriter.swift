import Foundation
import KesuKernel

/// Writes a calendar file (docs/calendar.schema.json, the shape of rules/calendars/cn-2024-2026.yaml) that a
/// pack's `calendar.include` loads back: one flow mapping per day, holidays then workdays, in date order.
public enum CalendarFileWriter {
    /// `comment` lines go at the top, after the editor schema modeline.
    public static func yaml(region: String?, holidays: [DatedDay], workdays: [DatedDay], comment: [String] = []) -> String {
        var out = "# yaml-language-server: $schema=../../docs/calendar.schema.json\n"
        for line in comment { out += "# \(line)\n" }
        if let region { out += "region: \(scalar(region))\n" }
        out += list("holidays", holidays)
        out += list("workdays", workdays)
        return out
    }

    /// The calendar file for a State Council notice (HolidayNotice.parse); the source file is named in the header.
    public static func yaml(_ notice: HolidayNotice, source: String, region: String = "CN") -> String {
        yaml(region: region, holidays: notice.holidays, workdays: notice.workdays, comment: [
            "Mainland China holidays and adjusted working days (调休) of \(notice.year),",
            "imported by `kesu calendar import` from the State Council General Office's notice \(source).",
            "holidays: every day off in an official holiday block (weekend days inside a block included).",
            "workdays: Saturdays and Sundays that are official working days (调休上班).",
        ])
    }

    static func list(_ key: String, _ days: [DatedDay]) -> String {
        guard !days.isEmpty else { return "\(key): []\n" }
        return "\(key):\n" + days.sorted { $0.date < $1.date }.map { d in
            "  - {date: \(d.date), name: \(scalar(d.name))" + (d.label.isEmpty ? "" : ", zh: \(scalar(d.label))") + "}\n"
        }.joined()
    }

    /// Plain when it cannot be misread in a flow mapping, else double-quoted.
    static func scalar(_ s: String) -> String {
        let special = CharacterSet(charactersIn: ",:{}[]#&*!|>'\"%@`?-\\")
        if !s.isEmpty, s.rangeOfCharacter(from: special) == nil, s.trimmingCharacters(in: .whitespaces) == s,
           !["true", "false", "null", "yes", "no", "on", "off", "~"].contains(s.lowercased()), Double(s) == nil {
            return s
        }
        return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

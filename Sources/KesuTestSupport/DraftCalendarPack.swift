import Foundation
import KesuKernel

/// The shipped packs copied to a temporary folder. tobacco-prefecture includes the shipped 2027 draft
/// (rules/calendars/cn-2027-draft.yaml, as `kesu calendar draft 2027` writes it): 2024-2026 official,
/// 2027 provisional, 2028 uncovered.
public enum DraftCalendarPack {
    /// Copies `rules/` into `dir` and returns the path of the copied tobacco-prefecture pack.
    public static func make(in dir: URL) throws -> String {
        let rules = dir.appendingPathComponent("rules")
        try FileManager.default.copyItem(at: KesuProcess.packageRoot.appendingPathComponent("rules"), to: rules)
        let pack = rules.appendingPathComponent("tobacco-prefecture")
        let text = try String(contentsOf: pack.appendingPathComponent("pack.yaml"), encoding: .utf8)
        // The tests read 2027 as provisional: they fail loudly if the pack stops including the draft.
        guard text.contains("../calendars/cn-2027-draft.yaml") else { throw CocoaError(.fileReadCorruptFile) }
        return pack.path
    }
}

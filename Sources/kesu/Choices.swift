import ArgumentParser
import Foundation
import KesuKernel
import Logging

// Fixed choices of the command line as argument types: `--help` lists the values and
// argument-parser refuses any other value with the list, before the command runs.

extension PenaltyAppealOutcome: ExpressibleByArgument {}
extension ScoreExport.Language: ExpressibleByArgument {}
extension ReplayScope: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}

extension ScoreSubject.Kind: ExpressibleByArgument {
    public static var allValueStrings: [String] { [Self.unit, .person].map(\.rawValue) }
}

/// `kesu penalties list --status`: one status of a recommendation, or all of them.
enum PenaltyStatusChoice: String, CaseIterable, ExpressibleByArgument {
    case open, decided, appealed, final, all
    /// The status to keep, or nil for all.
    var status: PenaltyProceeding.Status? { PenaltyProceeding.Status(rawValue: rawValue) }
}

/// `kesu notifications list --status`: one status of an outbox item, or all of them.
enum OutboxStatusChoice: String, CaseIterable, ExpressibleByArgument {
    case pending, failed, delivered, all
    /// The status to keep, or nil for all.
    var status: OutboxItem.Status? { OutboxItem.Status(rawValue: rawValue) }
}

/// `kesu serve --log-format`.
enum LogFormat: String, CaseIterable, ExpressibleByArgument {
    case text, json
}

/// A `--period` (2026-10, 2026Q3 or 2026) checked for its form before a pack is loaded, so a typo
/// is a usage error; the command reads it again in the pack's time zone.
func validatePeriod(_ text: String, option: String = "--period") throws {
    do {
        _ = try Period.parse(text, calendar: periodSyntaxCalendar)
    } catch let e as KesuError {
        throw ValidationError("\(option): \(e.message)")
    }
}

/// Any calendar reads a period's form; the zone only moves its instants.
private let periodSyntaxCalendar: BusinessCalendar = {
    try! BusinessCalendar(CalendarRules(timeZone: "UTC", businessHours: [MinuteRange(start: 0, end: 24 * 60)]))
}()

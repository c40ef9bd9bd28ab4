import ArgumentParser
import Foundation
import KesuKernel
import KesuRendering
import KesuViews
import KesuYAML

/// `kesu calendar …`: tools for the holiday calendar files packs include (rules/calendars/*.yaml).
/// A new tool is one more subcommand in `subcommands`.
struct CalendarCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar", abstract: "Draft, maintain and show the holiday calendar files rule packs include.",
        subcommands: [Draft.self, CalendarImport.self, Show.self])

    /// `kesu calendar show YYYY-MM`: a month of the pack's calendar as deadlines count it, and how well its year is known.
    struct Show: KesuCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a month of the pack's calendar: working days, weekends (休), holidays (假) and 调休 working days (班).",
            discussion: """
            The calendar is the --rules pack's, with every file it includes (regional supplements too). Ends with the \
            year's coverage: 正式 (the State Council's notice), 暂定 (a draft: statutory holidays only, no 调休) or \
            未覆盖 (only weekends are skipped), and what to run when it is not official.
            Example: kesu calendar show 2026-10 --rules rules/tobacco-prefecture
            """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The month, YYYY-MM (e.g. 2027-01).") var month: String

        func validate() throws {
            try global.validateValues()
            // A typo is a usage error before any pack is read.
            guard MonthView.parseMonth(month) != nil else {
                throw ValidationError("'\(month)' is not a month: write it as YYYY-MM, e.g. 2027-01")
            }
        }

        func run() async throws {
            try await guarded(global) {
                guard let (year, number) = MonthView.parseMonth(month) else { return }
                let calendar = try BusinessCalendar(try global.loadPack().pack.calendar)
                let view = MonthView(year: year, month: number, calendar: calendar)
                if global.json {
                    guard case let .object(fields) = try ViewJSON.value(view) else { return }
                    Output.json(fields.mapValues(JSON.init))
                } else {
                    print(MonthText.lines(view).joined(separator: "\n"))
                }
            }
        }
    }

    struct Draft: KesuCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a provisional calendar file with a year's statutory holidays (no 调休 days).",
            discussion: """
            The holidays come from the statutory rules file (--statutory, default \
            ../calendars/cn-statutory-holidays.yaml beside the --rules pack): lunar dates from Foundation's \
            Chinese calendar, solar terms computed. The file is marked `provisional: true`; replace it with \
            the State Council's notice when published. Writes <region>-<YEAR>-draft.yaml beside the \
            statutory file unless --out is given; an existing file is kept unless --force.
            """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The year to draft, \(HolidayDraft.years.lowerBound)–\(HolidayDraft.years.upperBound).") var year: Int
        @Option(name: .long, help: "Statutory holiday rules (default: ../calendars/cn-statutory-holidays.yaml beside --rules).")
        var statutory: String?
        @Option(name: .long, help: "Where to write the calendar file.") var out: String?
        @Flag(name: .long, help: "Replace the output file if it exists.") var force = false

        var statutoryPath: String {
            statutory ?? URL(fileURLWithPath: global.rulesPath).deletingLastPathComponent()
                .appendingPathComponent("calendars/cn-statutory-holidays.yaml").path
        }

        func run() async throws {
            try await guarded(global) {
                guard HolidayDraft.years.contains(year) else {
                    throw CalendarError("cannot draft \(year): give a year from \(HolidayDraft.years.lowerBound) to \(HolidayDraft.years.upperBound)")
                }
                let source = statutoryPath
                let rules = try StatutoryHolidaysLoader().load(path: source)
                let (days, overlaps) = try HolidayDraft.draftWithOverlaps(rules, year: year)
                let prefix = rules.region.isEmpty ? "calendar" : rules.region.lowercased()
                let target = out ?? URL(fileURLWithPath: source).deletingLastPathComponent()
                    .appendingPathComponent("\(prefix)-\(year)-draft.yaml").path
                if !force && FileManager.default.fileExists(atPath: target) {
                    throw CalendarError("\(target) exists: pass --force to replace it, or --out another file")
                }
                let text = HolidayDraft.calendarFileText(year: year, region: rules.region, days: days, overlaps: overlaps,
                                                         statutorySource: URL(fileURLWithPath: source).lastPathComponent)
                do {
                    try text.write(toFile: target, atomically: true, encoding: .utf8)
                } catch {
                    throw CalendarError("cannot write \(target): \(error.localizedDescription)")
                }
                if global.json {
                    Output.json([
                        "year": .int(year), "file": .string(target), "provisional": .bool(true),
                        "overlaps": .array(overlaps.map { .object(["date": .string($0.date.description), "kept": .string($0.kept),
                                                                   "dropped": .string($0.dropped)]) }),
                        "holidays": .array(days.map { .object(["date": .string($0.date.description), "name": .string($0.name),
                                                               "zh": .string($0.label)]) }),
                    ])
                } else {
                    for o in overlaps {
                        Output.err("warning: \(o.date) is both \(o.kept) and \(o.dropped): drafted once; the State Council's notice decides the extra day")
                    }
                    print("\(target): \(days.count) statutory holiday(s) drafted for \(year), provisional; no 调休 working days")
                }
            }
        }
    }
}

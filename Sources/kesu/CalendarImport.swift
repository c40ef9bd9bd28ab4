import ArgumentParser
import Foundation
import KesuKernel
import KesuYAML

/// `kesu calendar import FILE`: the State Council General Office's annual holiday notice (its text, as
/// published) → a calendar file of the year's holidays and 调休 working days (docs/rule-packs.md,
/// "Importing the State Council's notice"). Nothing is written unless every holiday item reads and adds up.
struct CalendarImport: KesuCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Read the State Council's holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知) and write the year's calendar file.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The notice's text (UTF-8), title included.") var file: String
    @Option(help: "The notice's year, when the text has no title (must agree with the title if it has one).") var year: Int?
    @Option(help: "Where to write the calendar file (default: standard output).") var out: String?

    func run() async throws {
        try await guarded(global) {
            let text = try Self.readNotice(file)
            let (notice, yaml) = try Self.calendarFile(notice: text, file: file, year: year)
            for advisory in notice.advisories {
                Output.err("note: \(advisory.location): advisory sentence, no day imported: 「\(advisory.text)」")
            }
            if let out {
                do {
                    try yaml.write(toFile: out, atomically: true, encoding: .utf8)
                } catch {
                    throw KesuError(.invalidInput, "cannot write \(out): \(error.localizedDescription)")
                }
                if global.json {
                    Output.json(["year": .int(notice.year), "file": .string(out),
                                 "holidays": .int(notice.holidays.count),
                                 "workdays": .int(notice.workdays.count)])
                } else {
                    print("wrote \(out): \(notice.year), \(notice.holidays.count) holiday(s), \(notice.workdays.count) 调休 working day(s)")
                }
            } else {
                print(yaml, terminator: "")
            }
        }
    }

    static func readNotice(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KesuError(.invalidInput, "cannot read \(path): no such file or not readable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw KesuError(.invalidInput, "\(path) is not UTF-8 text: save the notice as UTF-8 and import again")
        }
        return text
    }

    /// The notice read and the calendar file's text; a notice that cannot be read is a located CalendarError.
    static func calendarFile(notice text: String, file: String, year: Int?) throws -> (HolidayNotice, String) {
        let notice: HolidayNotice
        do {
            notice = try HolidayNotice.parse(text, file: file, year: year)
        } catch let e as HolidayNoticeError {
            throw CalendarError("\(e); nothing written: correct the notice text (or pass --year) and import again")
        }
        return (notice, CalendarFileWriter.yaml(notice, source: (file as NSString).lastPathComponent))
    }
}

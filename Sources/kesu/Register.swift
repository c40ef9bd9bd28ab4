import ArgumentParser
import Foundation
import KesuKernel
import KesuRendering
import KesuViews
import KesuXLSX

/// `kesu register`: the case register (台账) — one row per case opened in a window — as CSV or Excel,
/// the same file the console's 台账 download and `GET /v1/register` give.
struct Register: KesuCommand {
    static let configuration = CommandConfiguration(
        abstract: "The case register (台账): every case opened between two dates, as CSV or Excel.",
        discussion: """
        Both dates are inclusive days in the pack's time zone. With --as, the person needs the reports \
        permission and sees the complainant's name and phone masked unless their roles grant personal_data; \
        without --as (the operator) nothing is masked. --format csv writes UTF-8 with a byte-order mark \
        (to stdout without --out); --format xlsx needs --out.
        Example: kesu register --from 2026-10-01 --until 2026-12-31 --format xlsx --out 台账.xlsx --as qian_jin
        """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "First day, e.g. 2026-10-01.") var from: String
    @Option(help: "Last day (inclusive), e.g. 2026-12-31.") var until: String
    @Option(help: "csv (default) or xlsx.") var format: Format = .csv
    @Option(help: "Write to this file instead of stdout (required for xlsx).") var out: String?

    enum Format: String, CaseIterable, ExpressibleByArgument { case csv, xlsx }

    func validate() throws {
        try global.validateValues()
        for (name, value) in [("--from", from), ("--until", until)] where LocalDate(value) == nil {
            throw ValidationError("\(name): '\(value)' is not a date like 2026-10-01")
        }
        if format == .xlsx && out == nil { throw ValidationError("--format xlsx writes a file: pass --out FILE.xlsx") }
    }

    func run() async throws {
        try await guarded(global) {
            let engine = try global.engine()
            let viewer = try global.viewer(engine.pack)
            if let viewer, !viewer.has(.reports) {
                throw KesuError(.forbidden, "\(viewer.id)'s roles (\(viewer.person.roles.joined(separator: ", "))) do not grant reports: the case register is the appraisal office's")
            }
            let window = try CaseRegister.window(from: from, until: until, calendar: engine.planner.calendar)
            let now = try global.currentTime()
            // Written as it is read, a chunk of cases at a time: a year of a city's hotline fits in bounded memory.
            let register = CaseRegister.frame(pack: engine.pack, timeZone: engine.planner.calendar.timeZone,
                                              from: window.from, until: window.until, viewer: viewer)
            let sheet = register.sheet(pack: engine.pack)   // no rows: the columns and the zone
            var pages = register.pages(engine: engine, now: now)
            var written = 0
            /// The next chunk, its unmasked views recorded before it is written.
            func next() async throws -> [CaseRegister.Row]? {
                let rows = try await register.next(&pages, viewer: viewer, at: now, via: .cli)
                written += rows?.count ?? 0
                return rows
            }
            switch format {
            case .csv:
                let file = try out.map(Self.create) ?? FileHandle.standardOutput
                try Self.put(file, ScoreExport.byteOrderMark + Data(sheet.csvHeader.utf8))
                while let rows = try await next() {
                    try Self.put(file, Data(rows.map { sheet.csvLine(register.values($0)) }.joined().utf8))
                }
                if let out {
                    try file.close()
                    Output.err("wrote \(out) (\(written) cases)")
                }
            case .xlsx:
                let path = out!
                do {
                    let book = try XLSXWorkbook(path: path)
                    let table = try ExportXLSX.table(sheet, in: book)
                    while let rows = try await next() {
                        for r in rows { try table.append(register.values(r).map { ExportXLSX.cell($0, zone: sheet.timeZone) }) }
                    }
                    try book.close()
                } catch let e as XLSXError {
                    throw KesuError(.invalidInput, e.description)
                }
                Output.err("wrote \(path): \(CaseRegister.sheetName) (\(written) cases)")
            }
        }
    }

    static func create(_ path: String) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw KesuError(.invalidInput, "cannot write \(path): the folder is missing or not writable")
        }
        return h
    }

    static func put(_ file: FileHandle, _ data: Data) throws {
        do { try file.write(contentsOf: data) } catch {
            throw KesuError(.invalidInput, "cannot write the register: \(error.localizedDescription)")
        }
    }
}

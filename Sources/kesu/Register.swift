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
            let register = try await CaseRegister.build(engine: engine, from: window.from, until: window.until, viewer: viewer,
                                                        now: try global.currentTime())
            try await register.recordViews(store: engine.store, viewer: viewer, at: try global.currentTime(), via: .cli)
            let sheet = register.sheet(pack: engine.pack)
            switch format {
            case .csv:
                if let out {
                    try write(sheet.csv, to: out)
                    Output.err("wrote \(out) (\(register.rows.count) cases)")
                } else {
                    FileHandle.standardOutput.write(sheet.csv)
                }
            case .xlsx:
                let path = out!
                do { try ExportXLSX.write([sheet], to: path) } catch let e as XLSXError {
                    throw KesuError(.invalidInput, e.description)
                }
                Output.err("wrote \(path): \(CaseRegister.sheetName) (\(register.rows.count) cases)")
            }
        }
    }

    func write(_ data: Data, to path: String) throws {
        do { try data.write(to: URL(fileURLWithPath: path)) } catch {
            throw KesuError(.invalidInput, "cannot write \(path): \(error.localizedDescription)")
        }
    }
}

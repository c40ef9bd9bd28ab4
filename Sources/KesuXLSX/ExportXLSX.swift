import Foundation
import KesuKernel
import KesuRendering

/// Export sheets (scores' summary and line items, the case register) as an .xlsx workbook: numbers as
/// numbers, rates as percentages, times as Excel dates in the sheet's zone.
public enum ExportXLSX {
    static func kind(_ k: ScoreExport.Column.Kind) -> XLSXWorkbook.Column.Kind {
        switch k {
        case .text: .text
        case .integer: .integer
        case .decimal: .decimal
        case .percent: .percent
        case .dateTime: .dateTime
        }
    }

    public static func cell(_ v: ScoreExport.Value, zone: TimeZone) -> XLSXWorkbook.Cell {
        switch v {
        case let .text(s): .text(s)
        case let .integer(n): .number(Double(n))
        case let .decimal(x): .number(x)
        case let .rate(r): r.map(XLSXWorkbook.Cell.number) ?? .empty
        case let .dateTime(d): .date(d, zone)
        case .none: .empty
        }
    }

    /// A table for rows written one by one into `book` (the sheet's rows are not written): for an
    /// export too long to hold, e.g. a year's case register. The workbook keeps constant memory.
    public static func table(_ sheet: ExportSheet, in book: XLSXWorkbook) throws -> XLSXTable {
        try book.addTable(sheet.name, columns: sheet.columns.map { XLSXWorkbook.Column($0.title, kind($0.kind), width: $0.width) })
    }

    /// One sheet per export sheet, in order; a sheet past Excel's row limit goes on in further sheets.
    public static func write(_ sheets: [ExportSheet], to path: String) throws {
        let book = try XLSXWorkbook(path: path)
        for sheet in sheets {
            let table = try book.addTable(sheet.name, columns: sheet.columns.map { XLSXWorkbook.Column($0.title, kind($0.kind), width: $0.width) })
            for row in sheet.rows { try table.append(row.map { cell($0, zone: sheet.timeZone) }) }
        }
        try book.close()
    }

    /// The workbook's bytes (written to a temporary file, which is removed): for a download.
    public static func data(_ sheets: [ExportSheet]) throws -> Data {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kesu-xlsx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("export.xlsx").path
        try write(sheets, to: path)
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }
}

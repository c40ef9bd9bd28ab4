import CXlsxWriter
import Foundation

/// Why an .xlsx file could not be written: what we were doing and what libxlsxwriter said.
public struct XLSXError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var detail: String
    public var description: String { "cannot write the Excel file: \(operation) failed (\(detail))" }
}

/// An .xlsx workbook written with libxlsxwriter in constant-memory mode: rows are streamed to
/// disk as they are added, so an export of any size uses little memory. Sheets are tables: a
/// bold header row, frozen, with an autofilter; a table that reaches Excel's row limit goes on
/// in a new sheet (`明细 (2)`) with the same header, so no export is ever cut short.
public final class XLSXWorkbook {
    public struct Column: Sendable {
        public enum Kind: Sendable { case text, integer, decimal, percent, dateTime }
        public var title: String
        public var kind: Kind
        /// Width in characters (a CJK character counts about 2).
        public var width: Double
        public init(_ title: String, _ kind: Kind = .text, width: Double = 14) {
            self.title = title; self.kind = kind; self.width = width
        }
    }

    public enum Cell: Sendable, Equatable {
        case text(String)
        case number(Double)
        /// An instant shown as wall-clock time in `zone` (Excel has no time zones).
        case date(Date, TimeZone)
        case empty
    }

    /// Excel's rows per sheet, header included.
    public static let maxRows = Int(LXW_ROW_MAX)

    let workbook: UnsafeMutablePointer<lxw_workbook>
    let path: String
    var closed = false
    var sheetNames: Set<String> = []
    let bold: UnsafeMutablePointer<lxw_format>
    let formats: [Column.Kind: UnsafeMutablePointer<lxw_format>]

    public init(path: String) throws {
        var options = lxw_workbook_options(constant_memory: UInt8(LXW_TRUE.rawValue), tmpdir: nil, use_zip64: UInt8(LXW_TRUE.rawValue))
        guard let wb = workbook_new_opt(path, &options) else {
            throw XLSXError(operation: "create \(path)", detail: "the file could not be opened for writing")
        }
        workbook = wb
        self.path = path
        bold = workbook_add_format(wb)
        format_set_bold(bold)
        format_set_bg_color(bold, 0xDDEBF7)
        format_set_border(bold, UInt8(LXW_BORDER_THIN.rawValue))
        func numberFormat(_ f: String) -> UnsafeMutablePointer<lxw_format> {
            let fmt = workbook_add_format(wb)!
            format_set_num_format(fmt, f)
            return fmt
        }
        formats = [
            .integer: numberFormat("0"), .decimal: numberFormat("0.0#"), .percent: numberFormat("0.0%"),
            .dateTime: numberFormat("yyyy-mm-dd hh:mm"),
        ]
    }

    deinit { if !closed { workbook_close(workbook) } }

    /// A new table on its own sheet. Sheet names are at most 31 characters and unique.
    public func addTable(_ name: String, columns: [Column]) throws -> XLSXTable {
        try XLSXTable(workbook: self, name: name, columns: columns)
    }

    func newSheet(_ wanted: String) throws -> UnsafeMutablePointer<lxw_worksheet> {
        var name = String(wanted.filter { !"[]:*?/\\".contains($0) }.prefix(31))
        var n = 2
        while sheetNames.contains(name) { name = String(wanted.prefix(25)) + " (\(n))"; n += 1 }
        sheetNames.insert(name)
        guard let sheet = workbook_add_worksheet(workbook, name) else {
            throw XLSXError(operation: "add sheet '\(name)'", detail: "libxlsxwriter refused the sheet")
        }
        return sheet
    }

    /// Writes the file. Nothing is on disk in a usable state before this returns.
    public func close() throws {
        guard !closed else { return }
        closed = true
        let result = workbook_close(workbook)
        guard result == LXW_NO_ERROR else {
            throw XLSXError(operation: "write \(path)", detail: String(cString: lxw_strerror(result)))
        }
    }

    static func check(_ result: lxw_error, _ what: @autoclosure () -> String) throws {
        guard result == LXW_NO_ERROR else { throw XLSXError(operation: what(), detail: String(cString: lxw_strerror(result))) }
    }
}

/// Rows of one table, written in order.
public final class XLSXTable {
    unowned let workbook: XLSXWorkbook
    let name: String
    let columns: [XLSXWorkbook.Column]
    var sheet: UnsafeMutablePointer<lxw_worksheet>
    var row: UInt32 = 0
    /// Rows written, header rows not counted.
    public private(set) var count = 0

    init(workbook: XLSXWorkbook, name: String, columns: [XLSXWorkbook.Column]) throws {
        self.workbook = workbook; self.name = name; self.columns = columns
        sheet = try workbook.newSheet(name)
        try header()
    }

    func header() throws {
        for (i, c) in columns.enumerated() {
            try XLSXWorkbook.check(worksheet_set_column(sheet, UInt16(i), UInt16(i), c.width, nil), "size column \(c.title)")
            try XLSXWorkbook.check(worksheet_write_string(sheet, 0, UInt16(i), c.title, workbook.bold), "write header \(c.title)")
        }
        worksheet_freeze_panes(sheet, 1, 0)
        row = 1
    }

    public func append(_ cells: [XLSXWorkbook.Cell]) throws {
        if Int(row) >= XLSXWorkbook.maxRows {
            sheet = try workbook.newSheet(name)
            try header()
        }
        for (i, cell) in cells.enumerated() where i < columns.count {
            let col = UInt16(i)
            let format = workbook.formats[columns[i].kind]
            switch cell {
            case let .text(s):
                if !s.isEmpty { try XLSXWorkbook.check(worksheet_write_string(sheet, row, col, s, nil), "write row \(row + 1)") }
            case let .number(n):
                try XLSXWorkbook.check(worksheet_write_number(sheet, row, col, n, format), "write row \(row + 1)")
            case let .date(d, zone):
                var cal = Calendar(identifier: .gregorian)
                cal.timeZone = zone
                let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: d)
                var dt = lxw_datetime(year: Int32(c.year!), month: Int32(c.month!), day: Int32(c.day!),
                                      hour: Int32(c.hour!), min: Int32(c.minute!), sec: Double(c.second!))
                try XLSXWorkbook.check(worksheet_write_datetime(sheet, row, col, &dt, format ?? workbook.formats[.dateTime]), "write row \(row + 1)")
            case .empty:
                break
            }
        }
        row += 1
        count += 1
    }
}

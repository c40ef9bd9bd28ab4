import Foundation
import KesuKernel
import KesuViews

/// A table to download, with headers people read: the one shape CSV and Excel are written from, so
/// the CLI, the API and the console write the same files (scores' summary and line items, the case register).
public struct ExportSheet: Sendable, Equatable {
    public struct Column: Sendable, Equatable {
        public var title: String
        public var kind: ScoreExport.Column.Kind
        /// Width in characters, for spreadsheets.
        public var width: Double
        public init(_ title: String, _ kind: ScoreExport.Column.Kind, width: Double) {
            self.title = title; self.kind = kind; self.width = width
        }
    }
    /// The sheet's name in a workbook.
    public var name: String
    public var columns: [Column]
    public var rows: [[ScoreExport.Value]]
    /// Times are written as wall-clock time here.
    public var timeZone: TimeZone

    public init(name: String, columns: [Column], rows: [[ScoreExport.Value]], timeZone: TimeZone) {
        self.name = name; self.columns = columns; self.rows = rows; self.timeZone = timeZone
    }

    /// RFC 4180 text (CRLF, quoted as needed); numbers as `ScoreExport` writes them, times `yyyy-MM-dd HH:mm:ss`.
    public var csvText: String {
        var out = csvHeader
        for row in rows { out += csvLine(row) }
        return out
    }

    /// The header line of `csvText`; with `csvLine`, a file written row by row has the same bytes.
    public var csvHeader: String { CSV.line(columns.map(\.title)) }
    public func csvLine(_ row: [ScoreExport.Value]) -> String { CSV.line(row.map(cell)) }

    /// The file's bytes, with the byte-order mark Excel in a Chinese locale needs to read UTF-8.
    public var csv: Data { ScoreExport.byteOrderMark + Data(csvText.utf8) }

    func cell(_ v: ScoreExport.Value) -> String {
        switch v {
        case let .text(s): s
        case let .integer(n): String(n)
        case let .decimal(x): ScoreExport.number(x)
        case let .rate(r): r.map { ScoreExport.number(($0 * 10000).rounded() / 10000) } ?? ""
        case let .dateTime(d): ScoreExport.localTime(d, in: timeZone)
        case .none: ""
        }
    }
}

extension ScoreExport {
    /// The summary and the line items as the two sheets of `kesu scores --format xlsx`.
    public func sheets(lang: Language) -> [ExportSheet] {
        func columns(_ cs: [Column]) -> [ExportSheet.Column] { cs.map { ExportSheet.Column($0.title(lang), $0.kind, width: $0.width) } }
        let summary = summaryTable, items = itemsTable
        return [
            ExportSheet(name: Self.summaryName(lang), columns: columns(summary.columns), rows: summary.rows, timeZone: timeZone),
            ExportSheet(name: Self.itemsName(lang), columns: columns(items.columns), rows: items.rows, timeZone: timeZone),
        ]
    }
}

extension CaseRegister.ClockResult {
    /// 按时 / 逾期 / 办理中 / 未启动.
    public var chinese: String {
        switch self {
        case .met: "按时"
        case .missed: "逾期"
        case .running: "办理中"
        case .notStarted: "未启动"
        }
    }
}

extension CaseRegister {
    public static let sheetName = "台账"

    /// The register as one sheet with Chinese headers: the pack's names of its fields and clocks.
    public func sheet(pack: RulePack) -> ExportSheet {
        ExportSheet(name: Self.sheetName, columns: columns(pack: pack), rows: rows.map(values), timeZone: timeZone)
    }

    /// The sheet's columns: the pack's names of its fields and clocks.
    public func columns(pack: RulePack) -> [ExportSheet.Column] {
        func name(_ field: String) -> String { CaseViewBuilder.fieldName(field, pack: pack) }
        var columns: [ExportSheet.Column] = [
            .init("案件编号", .text, width: 16), .init("登记时间", .dateTime, width: 18),
            .init(name("channel"), .text, width: 8), .init(name("kind"), .text, width: 8), .init(name("category"), .text, width: 14),
            .init(name("level"), .text, width: 8), .init("内容摘要", .text, width: 40),
            .init(name("complainant_name"), .text, width: 10), .init(name("complainant_phone"), .text, width: 15),
            .init("承办单位", .text, width: 22), .init("状态", .text, width: 12), .init("办结时间", .dateTime, width: 18),
        ]
        columns += clocks.map { .init("\($0.name)是否按时", .text, width: 12) }
        if let callbackField { columns.append(.init(callbackField, .text, width: 10)) }
        return columns
    }

    /// One row's cells, in `columns` order.
    public func values(_ r: Row) -> [ScoreExport.Value] {
        func text(_ s: String?) -> ScoreExport.Value { s.map(ScoreExport.Value.text) ?? .none }
        var v: [ScoreExport.Value] = [
            .text(r.number), .dateTime(r.openedAt), text(r.channel), text(r.kind), text(r.category), text(r.level),
            .text(r.summary), text(r.complainantName), text(r.complainantPhone), text(r.handlingUnit), .text(r.state),
            r.closedAt.map(ScoreExport.Value.dateTime) ?? .none,
        ]
        v += r.clocks.map { .text($0.chinese) }
        if callbackField != nil { v.append(text(r.callback)) }
        return v
    }
}

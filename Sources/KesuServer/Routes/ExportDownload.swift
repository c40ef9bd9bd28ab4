import Foundation
import HTTPTypes
import Hummingbird
import KesuKernel
import KesuRendering
import KesuViews
import KesuXLSX

/// Files to save (scores, the case register) for the API and the console alike: the same bytes as
/// the CLI writes, sent as an attachment with a UTF-8 (Chinese) file name.
enum ExportDownload {
    static let xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    static let csvType = "text/csv; charset=utf-8"

    static func response(_ data: Data, type: String, fileName: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.contentLength] = String(data.count)
        headers[.contentDisposition] = CaseRoutes.contentDisposition(fileName: fileName)
        headers[CaseRoutes.contentTypeOptions] = "nosniff"
        headers[.cacheControl] = "private, no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func xlsx(_ sheets: [ExportSheet]) throws -> Data {
        do { return try ExportXLSX.data(sheets) } catch let e as XLSXError {
            throw APIError(.internalServerError, "export_failed", e.description)
        }
    }

    /// `考核得分-2026Q4-按单位.xlsx`.
    static func scoresFileName(_ export: ScoreExport, ext: String) -> String {
        "考核得分-\(export.period.label)-\(export.by == .unit ? "按单位" : "按人员").\(ext)"
    }

    /// Scores as `kesu scores --format csv` (both tables in one file) or `--format xlsx` (two sheets).
    static func scores(_ export: ScoreExport, xlsx: Bool, lang: ScoreExport.Language = .zh) throws -> Response {
        xlsx ? response(try self.xlsx(export.sheets(lang: lang)), type: xlsxType, fileName: scoresFileName(export, ext: "xlsx"))
             : response(export.csvCombined(lang: lang), type: csvType, fileName: scoresFileName(export, ext: "csv"))
    }

    /// `台账-2026-10-01至2026-12-31.csv`.
    static func register(_ register: CaseRegister, pack: RulePack, from: String, until: String, xlsx: Bool) throws -> Response {
        let sheet = register.sheet(pack: pack)
        let name = "\(CaseRegister.sheetName)-\(from)至\(until)"
        return xlsx ? response(try self.xlsx([sheet]), type: xlsxType, fileName: name + ".xlsx")
                    : response(sheet.csv, type: csvType, fileName: name + ".csv")
    }
}

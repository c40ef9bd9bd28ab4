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
        var headers = headers(type: type, fileName: fileName)
        headers[.contentLength] = String(data.count)
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

    /// The case register of the cases opened in `window` (`台账-2026-10-01至2026-12-31.csv`), the bytes
    /// `kesu register` writes, read a chunk at a time so a year of cases needs no more memory than a
    /// day's. Each chunk's unmasked views are recorded before it is sent; the first chunk is read
    /// before the response starts, so a failure there is an error status rather than a cut file.
    /// CSV goes out as it is read; XLSX is written to a temporary file (constant memory) and then sent.
    static func register(engine: Engine, viewer: Principal, window: (from: Date, until: Date), from: String, until: String,
                         xlsx: Bool, now: Date, via channel: PersonalDataView.Channel) async throws -> Response {
        let register = CaseRegister.frame(pack: engine.pack, timeZone: engine.planner.calendar.timeZone,
                                          from: window.from, until: window.until, viewer: viewer)
        let sheet = register.sheet(pack: engine.pack)   // no rows: the columns and the zone
        let name = "\(CaseRegister.sheetName)-\(from)至\(until)"
        var pages = register.pages(engine: engine, now: now)
        @Sendable func nextRecorded(_ pages: inout CaseRegister.Pages) async throws -> [CaseRegister.Row]? {
            try await register.next(&pages, viewer: viewer, at: now, via: channel)
        }
        if xlsx {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kesu-register-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let path = dir.appendingPathComponent("register.xlsx").path
            do {
                let book = try XLSXWorkbook(path: path)
                let table = try ExportXLSX.table(sheet, in: book)
                while let rows = try await nextRecorded(&pages) {
                    for r in rows { try table.append(register.values(r).map { ExportXLSX.cell($0, zone: sheet.timeZone) }) }
                }
                try book.close()
            } catch {
                try? FileManager.default.removeItem(at: dir)
                if let e = error as? XLSXError { throw APIError(.internalServerError, "export_failed", e.description) }
                throw error
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            let body = ResponseBody(contentLength: size) { writer in
                defer { try? FileManager.default.removeItem(at: dir) }
                guard let file = FileHandle(forReadingAtPath: path) else { throw APIError(.internalServerError, "export_failed", "the workbook vanished") }
                defer { try? file.close() }
                while let data = try file.read(upToCount: 1 << 20), !data.isEmpty { try await writer.write(ByteBuffer(bytes: data)) }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: headers(type: xlsxType, fileName: name + ".xlsx"), body: body)
        }
        let first = try await nextRecorded(&pages)
        let start = pages
        let body = ResponseBody { writer in
            var pages = start
            var rows = first
            try await writer.write(ByteBuffer(bytes: ScoreExport.byteOrderMark + Data(sheet.csvHeader.utf8)))
            while let chunk = rows {
                try await writer.write(ByteBuffer(string: chunk.map { sheet.csvLine(register.values($0)) }.joined()))
                rows = try await nextRecorded(&pages)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers(type: csvType, fileName: name + ".csv"), body: body)
    }

    static func headers(type: String, fileName: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.contentDisposition] = CaseRoutes.contentDisposition(fileName: fileName)
        headers[CaseRoutes.contentTypeOptions] = "nosniff"
        headers[.cacheControl] = "private, no-store"
        return headers
    }
}

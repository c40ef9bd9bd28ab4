import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import KesuKernel
import KesuServer
import Testing

/// A multipart/form-data body as a browser builds it.
struct MultipartBody {
    var boundary = "----KesuFormBoundary7MA4YWxkTrZu0gW"
    var data = Data()

    mutating func field(_ name: String, _ value: String) {
        data.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
    }

    mutating func file(_ name: String, fileName: String, type: String?, _ content: Data) {
        data.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(fileName)\"\r\n".utf8))
        if let type { data.append(Data("Content-Type: \(type)\r\n".utf8)) }
        data.append(Data("\r\n".utf8))
        data.append(content)
        data.append(Data("\r\n".utf8))
    }

    func closed() -> Data { data + Data("--\(boundary)--\r\n".utf8) }
    var contentType: String { "multipart/form-data; boundary=\(boundary)" }
}

@Suite("multipart/form-data")
struct MultipartTests {
    static let binary = Data([0x00, 0xFF, 0x0D, 0x0A, 0x2D, 0x2D, 0x0D, 0x0A, 0x0D, 0x0A, 0x00]) + Data("\r\n--not-the-boundary\r\n".utf8) + Data([0xFF])

    @Test("binary content with CRLFs and dashes inside comes back byte for byte; names, file names and types are read")
    func binaryParts() throws {
        var body = MultipartBody()
        body.field("expected_version", "7")
        body.file("file", fileName: "来信 \\\"副本\\\".pdf", type: "application/pdf", Self.binary)
        body.file("empty", fileName: "e.txt", type: nil, Data())
        let form = try MultipartForm.parse(Data("preamble\r\n".utf8) + body.closed(), contentType: body.contentType, maxBytes: 1 << 20)
        #expect(form.parts.map(\.name) == ["expected_version", "file", "empty"])
        #expect(form.text("expected_version") == "7")
        let file = try #require(form.part("file"))
        #expect(file.body == Self.binary)
        #expect(file.fileName == "来信 \"副本\".pdf")
        #expect(file.contentType == "application/pdf")
        #expect(form.part("empty")?.body == Data() && form.part("empty")?.contentType == nil)
    }

    @Test("quoted boundaries, RFC 5987 file names and a Windows path as old browsers send it")
    func headerForms() throws {
        let b = "a'b(c)"
        let raw = "--\(b)\r\nContent-Disposition: form-data; name=file; filename=\"C:\\Users\\x\\a.pdf\"; filename*=UTF-8''%E6%9D%A5%E4%BF%A1.pdf\r\n"
            + "content-type: image/png\r\n\r\nxyz\r\n--\(b)--"
        let form = try MultipartForm.parse(Data(raw.utf8), contentType: "Multipart/Form-Data; charset=utf-8; boundary=\"\(b)\"", maxBytes: 1000)
        #expect(form.part("file")?.fileName == "来信.pdf")
        #expect(form.part("file")?.contentType == "image/png")
        #expect(form.part("file")?.body == Data("xyz".utf8))
        let plain = "--\(b)\r\nContent-Disposition: form-data; name=\"f\"; filename=\"C:\\Users\\x\\a.pdf\"\r\n\r\nq\r\n--\(b)--\r\n"
        #expect(try MultipartForm.parse(Data(plain.utf8), contentType: "multipart/form-data; boundary=\"\(b)\"", maxBytes: 1000).part("f")?.fileName
                == #"C:\Users\x\a.pdf"#)
    }

    @Test("refusals: no or wrong Content-Type, no boundary, no closing boundary, a part without a name, too large, too many parts")
    func refusals() throws {
        var body = MultipartBody()
        body.file("file", fileName: "a.pdf", type: "application/pdf", Data(repeating: 0x41, count: 100))
        func error(_ data: Data, _ type: String?, max: Int = 1000, parts: Int = 32) -> MultipartError? {
            do { _ = try MultipartForm.parse(data, contentType: type, maxBytes: max, maxParts: parts); return nil } catch { return error }
        }
        #expect(error(body.closed(), nil)?.message.contains("no Content-Type") == true)
        #expect(error(body.closed(), "application/json")?.message.contains("not multipart/form-data") == true)
        #expect(error(body.closed(), "multipart/form-data")?.message.contains("no boundary") == true)
        #expect(error(body.closed(), "multipart/form-data; boundary=")?.kind == .malformed)
        #expect(error(body.data, body.contentType)?.message.contains("closing boundary") == true, "cut before the close delimiter")
        #expect(error(body.closed().prefix(60), body.contentType)?.kind == .malformed, "cut inside the headers")
        #expect(error(Data("nothing here".utf8), body.contentType)?.message.contains("does not contain its boundary") == true)
        let nameless = "--\(body.boundary)\r\nContent-Type: text/plain\r\n\r\nx\r\n--\(body.boundary)--"
        #expect(error(Data(nameless.utf8), body.contentType)?.message.contains("no Content-Disposition name") == true)
        let big = error(body.closed(), body.contentType, max: 100)
        #expect(big?.kind == .tooLarge && big?.message.contains("at most 100") == true)
        var many = MultipartBody()
        for i in 0..<5 { many.field("f\(i)", "x") }
        #expect(error(many.closed(), many.contentType, parts: 4)?.kind == .tooLarge)
        #expect(error(many.closed(), many.contentType, parts: 5) == nil)
    }
}

@Suite("API: attachments")
struct AttachmentAPITests {
    static let pdf = Data("%PDF-1.4\n".utf8) + Data([0x00, 0xFF, 0x0D, 0x0A]) + Data(repeating: 0x20, count: 100_000) + Data("%%EOF".utf8)

    func upload(_ client: Client, _ number: String, as person: String, version: Int?, name: String = "来信 2026.pdf",
                type: String? = "application/pdf", content: Data = pdf) async throws -> Client.Reply {
        var body = MultipartBody()
        if let version { body.field("expected_version", String(version)) }
        body.file("file", fileName: name, type: type, content)
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(client.tokens[person]!)"
        headers[.contentType] = body.contentType
        return try await client.inner.execute(uri: "/v1/cases/\(number)/attachments", method: .post, headers: headers,
                                              body: ByteBuffer(bytes: body.closed())) { r in
            Client.Reply(status: Int(r.status.code), body: Data(r.body.readableBytesView), headers: r.headers)
        }
    }

    func register(_ client: Client) async throws -> (String, Int) {
        let made = try await client.call(.post, "/v1/cases", as: "zhao_min", json: ["fields": SafeWriteTests.fields])
        #expect(made.status == 201, "\(made.text)")
        return (made.case["number"] as! String, made.case["version"] as! Int)
    }

    @Test("upload, the case lists it, download with the stored type, as an attachment, not sniffed, sandboxed")
    func uploadAndDownload() async throws {
        let f = try await ServerFixture.make()
        try await f.test { client in
            let (number, version) = try await register(client)
            let r = try await upload(client, number, as: "zhao_min", version: version)
            #expect(r.status == 201, "\(r.text)")
            let listed = try #require((r.case["attachments"] as? [[String: Any]])?.first)
            let sha = try #require(listed["sha256"] as? String)
            #expect(listed["name"] as? String == "来信 2026.pdf" && listed["media_type"] as? String == "application/pdf")
            #expect(listed["size"] as? Int == Self.pdf.count && listed["added_by"] as? String == "zhao_min")
            #expect(r.headers[.location] == "/v1/cases/\(number)/attachments/\(sha)")
            #expect(r.case["version"] as? Int == version + 1)
            let shown = try await client.call(.get, "/v1/cases/\(number)", as: "zhao_min")
            let events = shown.json["events"] as? [[String: Any]] ?? []
            #expect(events.last?["type"] as? String == "attachment_added")
            let d = try await client.call(.get, "/v1/cases/\(number)/attachments/\(sha)", as: "zhao_min")
            #expect(d.status == 200)
            #expect(d.body == Self.pdf)
            #expect(d.headers[.contentType] == "application/pdf")
            #expect(d.headers[.contentDisposition] == "attachment; filename=\"__ 2026.pdf\"; filename*=UTF-8''%E6%9D%A5%E4%BF%A1%202026.pdf")
            #expect(d.headers["X-Content-Type-Options"] == "nosniff")
            #expect(d.headers["Content-Security-Policy"] == "sandbox")
            let missing = try await client.call(.get, "/v1/cases/\(number)/attachments/\(String(repeating: "0", count: 64))", as: "zhao_min")
            #expect(missing.status == 404 && missing.errorField == "{sha256}", "\(missing.text)")
        }
    }

    @Test("refusals: 413 over the limit, 422 for a type or HTML, 400 for a malformed form, 409 on a stale version, 403 for another unit and read-only")
    func refusals() async throws {
        let f = try await ServerFixture.make()
        let small = try await ServerFixture.make(attachmentLimits: AttachmentLimits(maxBytes: 50_000))
        try await small.test { client in
            let (number, version) = try await register(client)
            let big = try await upload(client, number, as: "zhao_min", version: version)
            #expect(big.status == 413 && big.errorCode == "too_large" && big.errorField == "file", "\(big.text)")
            #expect(big.errorMessage.contains("49 KB"), "\(big.errorMessage)")
            // Far over the limit and its overhead: refused before the body is read.
            let huge = try await upload(client, number, as: "zhao_min", version: version, content: Data(count: 200_000))
            #expect(huge.status == 413, "\(huge.text)")
        }
        try await f.test { client in
            let (number, version) = try await register(client)
            let type = try await upload(client, number, as: "zhao_min", version: version, name: "x.exe", type: "application/x-msdownload")
            #expect(type.status == 422 && type.errorCode == "invalid_value" && type.errorMessage.contains("application/pdf"), "\(type.text)")
            let html = try await upload(client, number, as: "zhao_min", version: version, name: "x.html", type: "text/html", content: Data("<p>".utf8))
            #expect(html.status == 422, "\(html.text)")
            let noVersion = try await upload(client, number, as: "zhao_min", version: nil)
            #expect(noVersion.status == 400 && noVersion.errorField == "expected_version", "\(noVersion.text)")
            let json = try await client.call(.post, "/v1/cases/\(number)/attachments", as: "zhao_min", json: ["file": "x"])
            #expect(json.status == 400 && json.errorMessage.contains("multipart/form-data"), "\(json.text)")
            let stale = try await upload(client, number, as: "zhao_min", version: version - 1)
            #expect(stale.status == 409, "\(stale.text)")
            let readOnly = try await upload(client, number, as: "deng_qing", version: version)
            #expect(readOnly.status == 403 && readOnly.errorMessage.contains("read-only"), "\(readOnly.text)")
            // Routed to a unit: a liaison of another unit neither uploads nor downloads.
            let shown = try await client.call(.get, "/v1/cases/\(number)", as: "zhao_min")
            let unit = shown.json["handling_unit"] as? String
            let pack = f.api.rules.engine.pack
            let outsider = try #require(pack.people.first { p in
                let who = pack.principal(p.id)!
                return !who.seesAllCases && !who.readOnly && p.unit != unit
            })
            let forbidden = try await upload(client, number, as: outsider.id, version: version)
            #expect(forbidden.status == 403, "\(outsider.id): \(forbidden.text)")
            let ok = try await upload(client, number, as: "zhao_min", version: version)
            #expect(ok.status == 201, "\(ok.text)")
            let sha = ((ok.case["attachments"] as? [[String: Any]])?.first?["sha256"] as? String) ?? ""
            let peek = try await client.call(.get, "/v1/cases/\(number)/attachments/\(sha)", as: outsider.id)
            #expect(peek.status == 403, "\(peek.text)")
        }
    }
}

import Foundation
import Hummingbird

/// One part of a `multipart/form-data` body (RFC 7578): a form field or a file.
public struct MultipartPart: Sendable, Equatable {
    /// The form field's name (`Content-Disposition: form-data; name="…"`).
    public var name: String
    /// The file's name as the browser sent it, for a file part (`filename*` preferred over `filename`).
    public var fileName: String?
    /// The part's `Content-Type`, as sent; nil when absent.
    public var contentType: String?
    /// The content, byte for byte.
    public var body: Data

    public init(name: String, fileName: String? = nil, contentType: String? = nil, body: Data) {
        self.name = name; self.fileName = fileName; self.contentType = contentType; self.body = body
    }

    /// The content as UTF-8 text (a plain form field); nil when it is not UTF-8.
    public var text: String? { String(data: body, encoding: .utf8) }
}

/// Why a multipart body was refused.
public struct MultipartError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Not multipart/form-data, no boundary, or not well formed.
        case malformed
        /// Over the size or part limits.
        case tooLarge
    }
    public var kind: Kind
    public var message: String
    public init(_ kind: Kind, _ message: String) { self.kind = kind; self.message = message }
    public var description: String { message }
}

/// A parsed `multipart/form-data` body: what the console's upload form and the API's attachment route read.
public struct MultipartForm: Sendable, Equatable {
    public var parts: [MultipartPart]

    public init(parts: [MultipartPart]) { self.parts = parts }

    /// The first part with this name.
    public func part(_ name: String) -> MultipartPart? { parts.first { $0.name == name } }

    /// A plain field's text, trimmed; nil when absent.
    public func text(_ name: String) -> String? { part(name)?.text?.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// The boundary of a `multipart/form-data` Content-Type (quoted or not, RFC 2046: 1 to 70 characters).
    public static func boundary(contentType: String?) throws(MultipartError) -> String {
        guard let contentType else { throw MultipartError(.malformed, "the request has no Content-Type; send multipart/form-data") }
        let params = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard params.first?.lowercased() == "multipart/form-data" else {
            throw MultipartError(.malformed, "the request is \(params.first ?? "?"), not multipart/form-data")
        }
        for p in params.dropFirst() {
            guard let eq = p.firstIndex(of: "=") else { continue }
            guard p[..<eq].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var value = p[p.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            guard (1...70).contains(value.utf8.count), !value.contains(where: { $0.isNewline }) else {
                throw MultipartError(.malformed, "the multipart boundary must be 1 to 70 characters")
            }
            return value
        }
        throw MultipartError(.malformed, "the multipart/form-data Content-Type has no boundary parameter")
    }

    /// Parses a whole body. `maxBytes` bounds the body, `maxParts` the number of parts.
    public static func parse(_ body: Data, contentType: String?, maxBytes: Int, maxParts: Int = 32) throws(MultipartError) -> MultipartForm {
        let boundary = try Self.boundary(contentType: contentType)
        if body.count > maxBytes {
            throw MultipartError(.tooLarge, "the request body is \(body.count) bytes; this endpoint takes at most \(maxBytes)")
        }
        return try parse([UInt8](body), boundary: boundary, maxParts: maxParts)
    }

    static func parse(_ b: [UInt8], boundary: String, maxParts: Int) throws(MultipartError) -> MultipartForm {
        let dash = Array("--\(boundary)".utf8)
        // The first delimiter may open the body or follow a preamble on its own line.
        guard var at = find(dash, in: b, from: 0), at == 0 || (at >= 2 && b[at - 2] == 0x0D && b[at - 1] == 0x0A) else {
            throw MultipartError(.malformed, "the multipart body does not contain its boundary")
        }
        let delimiter = [0x0D, 0x0A] + dash
        var parts: [MultipartPart] = []
        while true {
            at += dash.count
            if at + 2 <= b.count, b[at] == 0x2D, b[at + 1] == 0x2D { return MultipartForm(parts: parts) }  // close delimiter
            // Transport padding (white space) may follow a delimiter before its CRLF.
            while at < b.count, b[at] == 0x20 || b[at] == 0x09 { at += 1 }
            guard at + 2 <= b.count, b[at] == 0x0D, b[at + 1] == 0x0A else {
                throw MultipartError(.malformed, "the multipart body ends before its closing boundary")
            }
            at += 2
            guard parts.count < maxParts else { throw MultipartError(.tooLarge, "the form has more than \(maxParts) parts") }
            // An empty header block is just the CRLF that ends it.
            guard let headerEnd = b[at...].starts(with: [0x0D, 0x0A]) ? at - 2 : find([0x0D, 0x0A, 0x0D, 0x0A], in: b, from: at, within: 16 * 1024) else {
                throw MultipartError(.malformed, "a part of the multipart body has no end to its headers")
            }
            let headers = headerEnd > at ? Array(b[at..<headerEnd]) : []
            let start = headerEnd + 4
            guard start <= b.count, let end = find(delimiter, in: b, from: start - 2) else {
                throw MultipartError(.malformed, "the multipart body ends before its closing boundary")
            }
            parts.append(try part(headers: headers, body: end >= start ? Data(b[start..<end]) : Data()))
            at = end + 2
        }
    }

    static func part(headers raw: [UInt8], body: Data) throws(MultipartError) -> MultipartPart {
        var name: String?, fileName: String?, extendedName: String?, contentType: String?
        let text = String(decoding: raw, as: UTF8.self)
        for line in text.components(separatedBy: "\r\n") where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else {
                throw MultipartError(.malformed, "a part header is not 'Name: value': \(line.prefix(80))")
            }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch key {
            case "content-disposition":
                let (kind, params) = Self.parameters(value)
                guard kind.lowercased() == "form-data" else {
                    throw MultipartError(.malformed, "a part's Content-Disposition is '\(kind)', not form-data")
                }
                name = params["name"]
                fileName = params["filename"]
                extendedName = params["filename*"].flatMap(Self.decodeExtended)
            case "content-type": contentType = value
            default: break
            }
        }
        guard let name else { throw MultipartError(.malformed, "a part has no Content-Disposition name") }
        return MultipartPart(name: name, fileName: extendedName ?? fileName, contentType: contentType, body: body)
    }

    /// `form-data; name="file"; filename="a \"b\".pdf"` → ("form-data", [name: file, filename: a "b".pdf]).
    static func parameters(_ value: String) -> (String, [String: String]) {
        var params: [String: String] = [:]
        let s = Array(value.unicodeScalars)
        var i = 0
        func skipSpace() { while i < s.count, s[i] == " " || s[i] == "\t" { i += 1 } }
        var kind = ""
        while i < s.count, s[i] != ";" { kind.unicodeScalars.append(s[i]); i += 1 }
        while i < s.count {
            i += 1  // the ';'
            skipSpace()
            var key = ""
            while i < s.count, s[i] != "=", s[i] != ";" { key.unicodeScalars.append(s[i]); i += 1 }
            key = key.trimmingCharacters(in: .whitespaces).lowercased()
            guard i < s.count, s[i] == "=" else { continue }
            i += 1
            skipSpace()
            var v = ""
            if i < s.count, s[i] == "\"" {
                i += 1
                while i < s.count, s[i] != "\"" {
                    // A backslash escapes the next character (RFC 2616 quoted-pair), except before a path's
                    // separator, which old browsers left unescaped in a full Windows path.
                    if s[i] == "\\", i + 1 < s.count, s[i + 1] == "\"" || s[i + 1] == "\\" { i += 1 }
                    v.unicodeScalars.append(s[i]); i += 1
                }
                i += 1
                while i < s.count, s[i] != ";" { i += 1 }
            } else {
                while i < s.count, s[i] != ";" { v.unicodeScalars.append(s[i]); i += 1 }
                v = v.trimmingCharacters(in: .whitespaces)
            }
            if !key.isEmpty, params[key] == nil { params[key] = v }
        }
        return (kind.trimmingCharacters(in: .whitespaces), params)
    }

    /// RFC 5987 `UTF-8''%E6%9D%A5%E4%BF%A1.pdf` → `来信.pdf`; nil for another charset or bad encoding.
    static func decodeExtended(_ value: String) -> String? {
        let pieces = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3, pieces[0].lowercased() == "utf-8" else { return nil }
        return String(pieces[2]).removingPercentEncoding
    }

    /// Where `needle` first occurs in `hay` at or after `from` (starting within `within` bytes of it, if given).
    static func find(_ needle: [UInt8], in hay: [UInt8], from: Int, within: Int? = nil) -> Int? {
        guard let first = needle.first, from >= 0 else { return nil }
        let last = min(hay.count - needle.count, within.map { from + $0 } ?? Int.max)
        guard last >= from else { return nil }
        return hay.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                var i = from
                while i <= last {
                    if h[i] == first {
                        var k = 1
                        while k < n.count, h[i + k] == n[k] { k += 1 }
                        if k == n.count { return i }
                    }
                    i += 1
                }
                return nil
            }
        }
    }

    /// Reads a request's multipart body of at most `limit` bytes; refusals are the API's (400, or 413 when too large).
    static func read(_ request: Request, limit: Int) async throws -> MultipartForm {
        let contentType = request.headers[.contentType]
        do { _ = try Self.boundary(contentType: contentType) } catch { throw APIError.multipart(error) }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError(.contentTooLarge, "too_large", "request body is \(length) bytes; this endpoint takes at most \(limit)")
        }
        var req = request
        let buffer: ByteBuffer
        do { buffer = try await req.collectBody(upTo: limit) } catch {
            throw APIError(.contentTooLarge, "too_large", "request body is over \(limit) bytes; this endpoint takes at most \(limit)")
        }
        do {
            return try Self.parse(Data(buffer.readableBytesView), contentType: contentType, maxBytes: limit)
        } catch {
            throw APIError.multipart(error)
        }
    }
}

extension APIError {
    static func multipart(_ e: MultipartError) -> APIError {
        switch e.kind {
        case .malformed: APIError(.badRequest, "bad_request", e.message)
        case .tooLarge: APIError(.contentTooLarge, "too_large", e.message)
        }
    }
}

import Foundation
import Hummingbird
import KesuKernel

/// A JSON object from a request body, read strictly: a key the endpoint does not take, a value
/// of the wrong type or a missing required key is a 400 naming the field.
struct BodyObject {
    let values: [String: JSONValue]
    /// Where this object sits in the body, for messages: "" for the top level, "fields." below.
    let prefix: String

    /// Reads at most `limit` bytes (413 beyond) and parses them as one JSON object.
    static func read(_ request: Request, limit: Int) async throws -> BodyObject {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError(.contentTooLarge, "too_large", "request body is \(length) bytes; this server takes at most \(limit)")
        }
        var req = request
        let buffer: ByteBuffer
        do { buffer = try await req.collectBody(upTo: limit) } catch {
            throw APIError(.contentTooLarge, "too_large", "request body is over \(limit) bytes; this server takes at most \(limit)")
        }
        if buffer.readableBytes == 0 { throw APIError.badRequest("the request needs a JSON object as its body") }
        let value: JSONValue
        do { value = try JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView)) } catch {
            throw APIError.badRequest("request body is not valid JSON: \(Self.reason(error))")
        }
        guard case let .object(o) = value else { throw APIError.badRequest("request body must be a JSON object, not \(value.kind)") }
        return BodyObject(values: o, prefix: "")
    }

    static func reason(_ error: any Error) -> String {
        if case let DecodingError.dataCorrupted(c) = error {
            let underlying = (c.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? c.debugDescription
        }
        return "\(error)"
    }

    /// Refuses keys other than `allowed`, with a did-you-mean.
    func allowOnly(_ allowed: [String]) throws {
        for key in values.keys.sorted() where !allowed.contains(key) {
            throw APIError.badRequest("unknown field '\(prefix)\(key)'\(Suggest.hint(for: key, in: allowed))", field: prefix + key)
        }
    }

    func string(_ key: String, required: Bool = false) throws -> String? {
        switch values[key] {
        case nil:
            if required { throw APIError.badRequest("field '\(prefix)\(key)' is required (a string)", field: prefix + key) }
            return nil
        case let .string(s)?: return s
        case let v?: throw APIError.badRequest("field '\(prefix)\(key)' must be a string, not \(v.kind)", field: prefix + key)
        }
    }

    /// A period label in the body, checked like `Query.period`.
    func period(_ key: String = "period") throws -> String? {
        try string(key).map { try PeriodLabel.check($0, field: prefix + key) }
    }

    func int(_ key: String, required: Bool = false) throws -> Int? {
        switch values[key] {
        case nil:
            if required { throw APIError.badRequest("field '\(prefix)\(key)' is required (an integer)", field: prefix + key) }
            return nil
        case let .number(n)? where n.rounded() == n && abs(n) < 1e15: return Int(n)
        case let v?: throw APIError.badRequest("field '\(prefix)\(key)' must be an integer, not \(v.kind)", field: prefix + key)
        }
    }

    func object(_ key: String, required: Bool = false) throws -> BodyObject? {
        switch values[key] {
        case nil:
            if required { throw APIError.badRequest("field '\(prefix)\(key)' is required (an object)", field: prefix + key) }
            return nil
        case let .object(o)?: return BodyObject(values: o, prefix: "\(prefix)\(key).")
        case let v?: throw APIError.badRequest("field '\(prefix)\(key)' must be an object, not \(v.kind)", field: prefix + key)
        }
    }

    /// An object of string values (case fields): every value must be a string.
    func strings() throws -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in values {
            guard case let .string(s) = v else {
                throw APIError.badRequest("field '\(prefix)\(k)' must be a string, not \(v.kind)", field: prefix + k)
            }
            out[k] = s
        }
        return out
    }
}

/// Query parameters, with the same strictness as bodies.
struct Query {
    let request: Request

    /// A text parameter; empty counts as not given.
    func string(_ key: String) -> String? {
        raw(key).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The parameter as sent, empty included: a typed parameter sent empty is an error, not a default.
    func raw(_ key: String) -> String? { request.uri.queryParameters.get(key) }

    func allowOnly(_ allowed: [String]) throws {
        for (key, _) in request.uri.queryParameters {
            let k = String(key)
            if !allowed.contains(k) {
                throw APIError.badRequest("unknown query parameter '\(k)'\(Suggest.hint(for: k, in: allowed))", field: "?\(k)")
            }
        }
    }

    func int(_ key: String, range: ClosedRange<Int>) throws -> Int? {
        guard let s = raw(key) else { return nil }
        guard let i = Int(s), range.contains(i) else {
            throw APIError.badRequest("query parameter '\(key)' must be an integer in \(range.lowerBound)…\(range.upperBound), not '\(s)'", field: "?\(key)")
        }
        return i
    }

    func bool(_ key: String) throws -> Bool {
        guard let s = raw(key) else { return false }
        switch s { case "true", "1": return true; case "false", "0": return false
        default: throw APIError.badRequest("query parameter '\(key)' must be true or false, not '\(s)'", field: "?\(key)")
        }
    }

    func time(_ key: String) throws -> Date? {
        guard let s = raw(key) else { return nil }
        guard let d = ISO8601.parse(s) else {
            throw APIError.badRequest("query parameter '\(key)' must be an ISO-8601 time like 2026-09-30T10:00:00+08:00, not '\(s)'", field: "?\(key)")
        }
        return d
    }

    /// A period label (`2026Q3`, `2026-10`, `2026`), refused outside `PeriodLabel.years`; sent
    /// empty is an error, not the default.
    func period(_ key: String = "period") throws -> String? {
        guard let s = raw(key) else { return nil }
        return try PeriodLabel.check(s, field: "?\(key)")
    }

    func oneOf(_ key: String, _ allowed: [String], default value: String) throws -> String {
        guard let s = raw(key) else { return value }
        guard allowed.contains(s) else {
            throw APIError.badRequest("query parameter '\(key)' must be one of \(allowed.joined(separator: ", ")), not '\(s)'\(Suggest.hint(for: s, in: allowed))", field: "?\(key)")
        }
        return s
    }
}

/// The years a period label may name. The calendar answers for any year, but a period far from
/// the present is a typo (`0000Q1`), and before year 1 or past 9999 its times are not valid ISO-8601.
enum PeriodLabel {
    static let years = 2000...2100

    static func check(_ label: String, field: String) throws -> String {
        let year = label.prefix(4)
        guard year.count == 4, year.allSatisfy({ $0.isASCII && $0.isNumber }), let y = Int(year), years.contains(y) else {
            throw APIError.badRequest(
                "'\(label)' is not a period of the years \(years.lowerBound)–\(years.upperBound): give a quarter (2026Q3), a month (2026-10) or a year (2026)",
                field: field)
        }
        return label
    }
}

import Foundation
import Hummingbird
import KesuKernel

extension JSONValue {
    static func int(_ i: Int) -> JSONValue { .number(Double(i)) }
    static func double(_ d: Double) -> JSONValue { .number(d) }
    static func opt(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }

    /// What a value is, for messages: "a string", "a number", ….
    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

enum JSONResponse {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    /// Records as the API writes them: snake_case keys, times ISO-8601 in the pack's zone.
    static func recordEncoder(zone: TimeZone) -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.keyEncodingStrategy = .convertToSnakeCase
        e.dateEncodingStrategy = .custom { d, enc in var c = enc.singleValueContainer(); try c.encode(ISO8601.format(d, in: zone)) }
        return e
    }

    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return make(data: data, contentType: "application/json; charset=utf-8", status: status, headers: headers)
    }

    static func make(data: Data, contentType: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var h = headers
        h[.contentType] = contentType
        return Response(status: status, headers: h, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

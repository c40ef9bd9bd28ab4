import Foundation
import Yams

/// docs/openapi.yaml, read as plain data, with just enough JSON Schema (2020-12 as OpenAPI 3.1
/// uses it: type with null, required, properties, additionalProperties, items, enum, $ref) to
/// check what the running server answers.
struct OpenAPIDocument: @unchecked Sendable {  // read-only after init
    let root: [String: Any]

    init(path: String) throws {
        root = try Yams.load(yaml: String(contentsOfFile: path, encoding: .utf8)) as? [String: Any] ?? [:]
    }

    static let methods = ["get", "post", "put", "patch", "delete"]

    /// Every documented operation as "GET /v1/cases/{number}".
    var operations: Set<String> {
        var out = Set<String>()
        for (path, item) in root["paths"] as? [String: Any] ?? [:] {
            for m in Self.methods where (item as? [String: Any])?[m] != nil { out.insert("\(m.uppercased()) \(path)") }
        }
        return out
    }

    /// The documented operation a concrete request path matches (`/v1/cases/YC-1` → `/v1/cases/{number}`).
    func operation(method: String, path: String) -> (template: String, op: [String: Any])? {
        let parts = path.split(separator: "?")[0].split(separator: "/")
        for (template, item) in root["paths"] as? [String: Any] ?? [:] {
            let t = template.split(separator: "/")
            guard t.count == parts.count, zip(t, parts).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) else { continue }
            if let op = (item as? [String: Any])?[method.lowercased()] as? [String: Any] { return (template, op) }
        }
        return nil
    }

    func resolve(_ node: Any) -> Any {
        guard let o = node as? [String: Any], let ref = o["$ref"] as? String, ref.hasPrefix("#/") else { return node }
        var cur: Any = root
        for part in ref.dropFirst(2).split(separator: "/") { cur = (cur as? [String: Any])?[String(part)] ?? [:] }
        return resolve(cur)
    }

    /// Problems with a response: an undocumented status or content type, or a body off its schema.
    func check(method: String, path: String, status: Int, contentType: String?, body: Data) -> [String] {
        guard let (template, op) = operation(method: method, path: path) else { return ["\(method) \(path) is not documented"] }
        let responses = op["responses"] as? [String: Any] ?? [:]
        guard let response = responses[String(status)].map(resolve) as? [String: Any] else {
            return ["\(method) \(template) answered \(status), which is not documented (documented: \(responses.keys.sorted().joined(separator: ", ")))"]
        }
        guard let content = response["content"] as? [String: Any] else { return [] }
        let type = (contentType ?? "").split(separator: ";")[0].trimmingCharacters(in: .whitespaces)
        guard let media = content[type] as? [String: Any] else {
            return ["\(method) \(template) \(status) answered \(type), documented: \(content.keys.sorted().joined(separator: ", "))"]
        }
        guard type == "application/json", let schema = media["schema"] else { return [] }
        guard let value = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) else {
            return ["\(method) \(template) \(status): body is not JSON"]
        }
        return validate(value, schema, at: "\(method) \(template) \(status) $")
    }

    func validate(_ value: Any, _ rawSchema: Any, at path: String) -> [String] {
        guard let schema = resolve(rawSchema) as? [String: Any] else { return [] }
        var problems: [String] = []
        let types: [String] = (schema["type"] as? String).map { [$0] } ?? (schema["type"] as? [String]) ?? []
        if !types.isEmpty, !types.contains(where: { Self.matches(value, $0) }) {
            return ["\(path): \(Self.describe(value)) is not \(types.joined(separator: " or "))"]
        }
        if let allowed = schema["enum"] as? [Any], let s = value as? String, !allowed.contains(where: { ($0 as? String) == s }) {
            problems.append("\(path): '\(s)' is not one of \(allowed)")
        }
        if let object = value as? [String: Any] {
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                problems.append("\(path): required key '\(key)' is missing")
            }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for (key, v) in object {
                if let p = properties[key] {
                    problems += validate(v, p, at: "\(path).\(key)")
                } else if let extra = schema["additionalProperties"] {
                    if let allowed = extra as? Bool {
                        if !allowed { problems.append("\(path): key '\(key)' is not documented") }
                    } else {
                        problems += validate(v, extra, at: "\(path).\(key)")
                    }
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] {
            for (i, v) in array.enumerated() { problems += validate(v, items, at: "\(path)[\(i)]") }
        }
        return problems
    }

    static func matches(_ v: Any, _ type: String) -> Bool {
        switch type {
        case "null": return v is NSNull
        case "boolean": return isBool(v)
        case "integer": return !isBool(v) && (v as? NSNumber).map { $0.doubleValue == $0.doubleValue.rounded() } ?? false
        case "number": return !isBool(v) && v is NSNumber
        case "string": return v is String
        case "array": return v is [Any]
        case "object": return v is [String: Any]
        default: return true
        }
    }

    static func isBool(_ v: Any) -> Bool {
        guard let n = v as? NSNumber else { return false }
        return String(cString: n.objCType) == "c" || type(of: v) == Bool.self
    }

    static func describe(_ v: Any) -> String {
        if v is NSNull { return "null" }
        if isBool(v) { return "a boolean" }
        if v is NSNumber { return "a number" }
        if v is String { return "a string" }
        if v is [Any] { return "an array" }
        return "an object"
    }
}

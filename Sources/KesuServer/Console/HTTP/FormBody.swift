import Foundation
import Hummingbird

/// A posted `application/x-www-form-urlencoded` form: the console's forms work without JavaScript.
struct FormBody: Sendable {
    var values: [String: String]

    subscript(_ key: String) -> String? { values[key] }

    /// The value trimmed, nil when empty.
    func text(_ key: String) -> String? {
        guard let v = values[key]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
        return v
    }

    static func read(_ request: Request, limit: Int) async throws -> FormBody {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: limit) } catch {
            throw ConsoleError(.contentTooLarge, "提交的内容过大（上限 \(limit / 1024) KB）")
        }
        return FormBody(values: parse(String(buffer: buffer)))
    }

    /// `a=1&b=%E4%B8%AD+x` → ["a": "1", "b": "中 x"]; the first of repeated keys wins.
    static func parse(_ s: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in s.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(kv[0])
            let value = kv.count > 1 ? decode(kv[1]) : ""
            if out[key] == nil { out[key] = value }
        }
        return out
    }

    static func decode(_ s: Substring) -> String {
        let spaced = s.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }
}

/// A console refusal: the status and the sentence the page shows.
struct ConsoleError: Error {
    var status: HTTPResponse.Status
    var message: String
    init(_ status: HTTPResponse.Status, _ message: String) { self.status = status; self.message = message }
}

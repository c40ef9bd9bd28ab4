import Foundation
import KesuTestSupport

/// Runs the built `kesu` binary as a user would, with its own working folder and database.
struct KesuCLI {
    typealias Result = KesuProcess.Result
    static var packageRoot: URL { KesuProcess.packageRoot }
    static var binary: URL { KesuProcess.binary }
    static var cleanEnvironment: [String: String] { KesuProcess.cleanEnvironment }

    let dir: URL
    var db: String { dir.appendingPathComponent("kesu.db").path }

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("kesu-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    static func pack(_ name: String) -> String { packageRoot.appendingPathComponent("rules/\(name)").path }

    @discardableResult
    func run(_ args: [String], rules: String = KesuCLI.pack("tobacco-prefecture"), now: String? = nil, as user: String? = nil) throws -> Result {
        var all = args + ["--rules", rules, "--db", db]
        if let now { all += ["--now", now] }
        if let user { all += ["--as", user] }
        return try KesuProcess.run(all, in: dir)
    }
}

/// A JSON value from a parsed document as compact text (event bodies are objects), for `contains` checks.
func jsonText(_ value: Any?) -> String {
    guard let value, JSONSerialization.isValidJSONObject(value),
          let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "" }
    return String(decoding: data, as: UTF8.self)
}

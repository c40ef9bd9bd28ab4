import Foundation

/// Runs the built `kesu` binary as a user would, with its own working folder and database.
struct KesuCLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:]
        }
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var binary: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kesu")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return packageRoot.appendingPathComponent(".build/debug/kesu")
    }

    let dir: URL
    var db: String { dir.appendingPathComponent("kesu.db").path }

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("kesu-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    /// This process's environment without the variables that would steer `kesu` (rules, store,
    /// clock, user, config), so each test says what it means.
    static var cleanEnvironment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        for k in ["KESU_RULES", "KESU_DB", "KESU_NOW", "KESU_USER", "KESU_DATABASE_URL", "KESU_CONFIG"] { env[k] = nil }
        return env
    }

    static func pack(_ name: String) -> String { packageRoot.appendingPathComponent("rules/\(name)").path }

    @discardableResult
    func run(_ args: [String], rules: String = KesuCLI.pack("tobacco-prefecture"), now: String? = nil, as user: String? = nil) throws -> Result {
        let p = Process()
        p.executableURL = KesuCLI.binary
        var all = args + ["--rules", rules, "--db", db]
        if let now { all += ["--now", now] }
        if let user { all += ["--as", user] }
        p.arguments = all
        p.currentDirectoryURL = dir
        p.environment = KesuCLI.cleanEnvironment
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

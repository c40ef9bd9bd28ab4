import Foundation

/// Running the built `kesu` executable from tests, as a user would.
public enum KesuProcess {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public init(status: Int32, stdout: String, stderr: String) { self.status = status; self.stdout = stdout; self.stderr = stderr }
        public var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:]
        }
    }

    /// The package's root folder (this file is Sources/KesuTestSupport/KesuProcess.swift).
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The built `kesu`: beside the test bundle (`swift test` builds it), else the debug build.
    public static var binary: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kesu")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return packageRoot.appendingPathComponent(".build/debug/kesu")
    }

    /// This process's environment without the variables that would steer `kesu` (rules, store,
    /// clock, user, config, port), so each test says what it means.
    public static var cleanEnvironment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        for k in ["KESU_RULES", "KESU_DB", "KESU_NOW", "KESU_USER", "KESU_DATABASE_URL", "KESU_CONFIG", "KESU_PORT"] { env[k] = nil }
        return env
    }

    /// Runs `kesu` with `args` in `dir` on the clean environment plus `extra`, to completion; `input` is its standard input.
    public static func run(_ args: [String], in dir: URL, environment extra: [String: String] = [:], input: String? = nil) throws -> Result {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        p.currentDirectoryURL = dir
        p.environment = cleanEnvironment.merging(extra) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let stdin = Pipe()
        if input != nil { p.standardInput = stdin }
        try p.run()
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}

import Foundation
import Testing

/// The API fuzzed against docs/openapi.yaml with schemathesis (PyPI; `.ci/run` installs it):
/// thousands of generated requests, valid and not, as a clerk and as the administrator, and not
/// one answer may be a server error. Like the PostgreSQL tests, a missing tool is a failure, not a skip.
@Suite("API fuzzed with schemathesis")
struct SchemathesisTests {
    /// Whether `python3 -m schemathesis.cli` can run (pip may put its `st` script off PATH).
    static func installed() -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import schemathesis"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    @Test("no 5xx for any generated request", arguments: ["zhao_min", "wu_jing"])
    func noServerErrors(as person: String) async throws {
        guard Self.installed() else {
            Issue.record("schemathesis is not installed: python3 -m pip install schemathesis (.ci/run does this)")
            return
        }
        let dir = try Paths.temp("kesu-fuzz")
        let rules = Paths.pack("tobacco-prefecture")
        let db = dir.appendingPathComponent("kesu.db").path
        let token = try ServeProcessTests.usersAdd(person, rules: rules, db: db, in: dir)
        let server = try ServeProcessTests.Server(dir: dir, rules: rules, db: db)
        defer { if server.process.isRunning { server.process.terminate() } }
        try await server.waitReady()

        let run = Process()
        run.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        run.arguments = [
            "python3", "-m", "schemathesis.cli", "run", Paths.root.appendingPathComponent("docs/openapi.yaml").path, "--url", "http://127.0.0.1:\(server.port)",
            "-H", "Authorization: Bearer \(token)", "--checks", "not_a_server_error", "--max-examples", "15", "--seed", "20261129",
            "--report-dir", dir.appendingPathComponent("report").path,
        ]
        run.currentDirectoryURL = dir
        let out = dir.appendingPathComponent("st.log")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        let handle = try FileHandle(forWritingTo: out)
        run.standardOutput = handle
        run.standardError = handle
        try run.run()
        run.waitUntilExit()
        let report = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        #expect(run.terminationStatus == 0, "schemathesis found server errors:\n\(report.suffix(4000))")
        #expect(report.contains("generated"), "schemathesis ran no test cases:\n\(report.suffix(2000))")
        #expect(!server.logText.contains("request failed"), "the server logged a failed request:\n\(server.logText.suffix(2000))")
    }
}

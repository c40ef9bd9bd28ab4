import Foundation
import Testing

/// The API fuzzed against docs/openapi.yaml with schemathesis (PyPI; `.ci/run` installs it): every
/// check (status codes, content types, bodies and headers as documented, 405 with `Allow` for an
/// undeclared method, schema-valid requests accepted and invalid ones refused) in every phase,
/// the stateful one following the document's links from a registered case, as the clerk, a
/// unit-scoped liaison and the administrator. Nothing may be reported. Like the PostgreSQL tests,
/// a missing tool is a failure, not a skip.
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

    /// Test data, and the one allowance the document cannot spare us. The document serves every
    /// pack, so it cannot list which field, transition, clock, state and unit ids the pack in force
    /// has, nor its limits: a generated id the pack lacks is rightly refused (400 naming the
    /// field, or 422 for a value) and would read as "a valid request rejected". The shipped pack's
    /// values below let generated requests reach the rules, and the stateful phase register cases
    /// and follow the links to them. schemathesis still adds generated keys to the `fields`
    /// given, and only the pack decides how long an extension may be or which unit owes which
    /// report, nor that a register's `from` must not come after its `until`, nor which feed cursors the store handed out: on those operations alone, positive_data_acceptance also expects the 400 or 422
    /// that names what the pack refused. Generated files (an attachment) are random bytes, which
    /// the deployment may refuse by type, size or content. Every other check applies everywhere.
    static let config = """
        [[operations]]
        include-name = "POST /v1/cases"
        parameters = { "body.fields" = { channel = "phone", kind = "complaint", complainant_type = "retailer", region = "county_a", category = "marketing_service", subject = "客户经理服务态度差", description = "订货时推诿", complainant_name = "张某", complainant_phone = "13812345678" } }
        checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422"]

        [[operations]]
        include-name = "POST /v1/rules/explanation"
        parameters = { "body.fields" = { channel = "phone", category = "logistics_service" } }
        checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422"]

        [[operations]]
        include-name = "GET /v1/cases"
        parameters = { "query.state" = "registered", "query.unit" = "county_a" }

        [[operations]]
        include-name = "POST /v1/cases/{number}/transitions"
        parameters = { "body.transition" = "substantiate", "body.fields" = { substantiated = "yes", category = "marketing_service", level = "general" } }
        checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422"]

        [[operations]]
        include-name = "POST /v1/cases/{number}/extensions"
        parameters = { "body.clock" = "answer" }
        checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

        [[operations]]
        include-name = "POST /v1/cases/{number}/extension-requests"
        parameters = { "body.clock" = "answer" }
        checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

        [[operations]]
        include-name = "POST /v1/cases/{number}/extension-requests/decline"
        parameters = { "body.clock" = "answer" }
        checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

        [[operations]]
        include-name = "POST /v1/cases/{number}/attachments"
        checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "413", "422"]

        [[operations]]
        include-name = "POST /v1/reports/submissions"
        parameters = { "body.report" = "expectation_analysis" }
        checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422"]

        [[operations]]
        include-name = "GET /v1/register"
        checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403"]

        [[operations]]
        include-name = "GET /v1/events"
        checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403"]
        """

    @Test("every check and the stateful phase report nothing", arguments: ["zhao_min", "ma_lin", "wu_jing"])
    func allChecks(as person: String) async throws {
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
        let config = dir.appendingPathComponent("schemathesis.toml")
        try Self.config.write(to: config, atomically: true, encoding: .utf8)

        let run = Process()
        run.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        run.arguments = [
            "python3", "-m", "schemathesis.cli", "--config-file", config.path, "run",
            Paths.root.appendingPathComponent("docs/openapi.yaml").path, "--url", "http://127.0.0.1:\(server.port)",
            "-H", "Authorization: Bearer \(token)", "--checks", "all", "--phases", "examples,coverage,fuzzing,stateful",
            // Small: it runs three times in CI on two cores.
            "--max-examples", "8", "--seed", "20261129", "--report-dir", dir.appendingPathComponent("report").path,
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
        #expect(run.terminationStatus == 0, "schemathesis (as \(person)) reported:\n\(report.suffix(6000))")
        #expect(report.contains("generated"), "schemathesis ran no test cases:\n\(report.suffix(2000))")
        #expect(report.contains("Stateful"), "the stateful phase did not run:\n\(report.suffix(2000))")
        if person == "zhao_min" {
            // The clerk registers cases, so the stateful phase follows links to the case operations.
            let covered = report.firstMatch(of: /API Links:\s+(\d+) covered/).flatMap { Int($0.1) } ?? 0
            #expect(covered > 0, "the stateful phase followed no link:\n\(report.suffix(3000))")
        }
        #expect(!server.logText.contains("request failed"), "the server logged a failed request:\n\(server.logText.suffix(2000))")
    }
}

import Foundation
import GRDB
import Testing

/// `kesu report facts` as an operator meets it after an upgrade: a store whose cases have no report
/// facts says so, its reports fold the histories meanwhile, and `--build` makes them read the read
/// model with the same figures.
@Suite struct ReadModelCLITests {
    @Test func anUpgradedStoreFoldsUntilBuiltThenReadsTheSameFigures() async throws {
        let cli = try QuarterlyPrintTests.busyQuarter()
        let built = try cli.run(["report", "facts"])
        #expect(built.status == 0 && built.stdout.contains("is built"), "\(built.stdout)\(built.stderr)")
        let before = try cli.run(["report", "quarterly", "--period", "2026Q4", "--format", "json"])
        #expect(before.status == 0, "\(before.stderr)")

        // What an upgrade from before the read model leaves: cases and events, no facts, not ready.
        let queue = try DatabaseQueue(path: cli.db)
        try await queue.write { db in
            try db.execute(sql: "DELETE FROM report_facts; UPDATE report_facts_status SET ready = 0")
        }
        try queue.close()
        let status = try cli.run(["report", "facts", "--json"])
        #expect(status.stdout.contains("\"ready\":false") || status.stdout.contains("\"ready\" : false"), "\(status.stdout)")
        let folded = try cli.run(["report", "quarterly", "--period", "2026Q4", "--format", "json"])
        #expect(folded.stdout == before.stdout, "until built, reports fold the histories to the same figures")

        let build = try cli.run(["report", "facts", "--build"])
        let cases = (try JSONSerialization.jsonObject(with: Data(try cli.run(["list", "--json", "--limit", "1000"]).stdout.utf8))
                     as? [String: Any])?["cases"] as? [Any]
        #expect(build.status == 0 && build.stdout.contains("read model built from \(cases?.count ?? -1) cases"), "\(build.stdout)\(build.stderr)")
        let after = try cli.run(["report", "quarterly", "--period", "2026Q4", "--format", "json"])
        #expect(after.stdout == before.stdout)
        let facts = try DatabaseQueue(path: cli.db)
        defer { try? facts.close() }
        let rows = try await facts.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM report_facts WHERE fact = 'opened'") ?? 0 }
        #expect(rows >= 24, "every case is counted by its fields again")
    }
}

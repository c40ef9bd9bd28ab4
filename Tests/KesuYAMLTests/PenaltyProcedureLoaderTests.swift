import Foundation
import KesuKernel
import KesuYAML
import Testing

/// `scoring.penalty_procedure`: read, checked against the roles with did-you-mean, inherited by a
/// pack that extends another, and declared by every shipped pack.
@Suite struct PenaltyProcedureLoaderTests {
    func scoring(_ procedure: String) -> String {
        let good = Fixture.good["scoring.yaml"]!
        let start = good.range(of: "  penalty_procedure:")!.lowerBound
        return String(good[..<start]) + procedure
    }

    @Test func unknownRolesAreErrorsWithDidYouMean() throws {
        let dir = try Fixture.write(["scoring.yaml": scoring("""
              penalty_procedure:
                decided_by: [leadr]
                appeal:
                  by: [person_concernd, unit_head]
                  within_working_days: 5
                  decided_by: [auditor]

            """)])
        let diags = Fixture.failures(dir)
        expectError(diags, at: "\(dir)/scoring.yaml:24:5", ["penalty_procedure decided_by", "unknown role 'leadr'", "did you mean 'leader'?"])
        expectError(diags, at: "\(dir)/scoring.yaml:26:7", ["unknown role 'person_concernd'", "did you mean 'person_concerned'?"])
        expectError(diags, at: "\(dir)/scoring.yaml:26:7", ["read-only role 'auditor'"])
        #expect(diags.filter { $0.severity == .error }.count == 3, "\(diags)")
    }

    @Test func keysAreCheckedAndRequired() throws {
        let dir = try Fixture.write(["scoring.yaml": scoring("""
              penalty_procedure:
                decided_by: []
                appeal:
                  by: [person_concerned]
                  within_working_day: 5
                  decided_by: [leader]

            """)])
        let diags = Fixture.failures(dir)
        expectError(diags, at: "\(dir)/scoring.yaml:27:7", ["unknown key 'within_working_day'", "did you mean 'within_working_days'?"])
        expectError(diags, at: "\(dir)/scoring.yaml:26:7", ["'appeal' of penalty_procedure is missing required key 'within_working_days'"])
        expectError(diags, at: "\(dir)/scoring.yaml:24:5", ["names no roles in decided_by"])
    }

    @Test func zeroDaysAndAReservedPenaltyID() throws {
        let good = scoring("""
              penalty_procedure:
                decided_by: [leader]
                appeal: {by: [unit_head], within_working_days: 0, decided_by: [leader]}

            """)
        let dir = try Fixture.write(["scoring.yaml": good.replacingOccurrences(of: "{id: written_warning, name: 书面警告}", with: "{id: no_penalty, name: 不予处罚}")
            .replacingOccurrences(of: "penalty: written_warning", with: "penalty: no_penalty")])
        let diags = Fixture.failures(dir)
        expectError(diags, at: "\(dir)/scoring.yaml:25:13", ["within_working_days must be at least 1"])
        expectError(diags, at: "\(dir)/scoring.yaml:19:7", ["penalty id 'no_penalty' is reserved"])
    }

    @Test func aPackThatExtendsAnotherInheritsItOrReplacesIt() throws {
        let dir = try Fixture.write()
        let child = URL(fileURLWithPath: dir).deletingLastPathComponent().appendingPathComponent("child").path
        try FileManager.default.createDirectory(atPath: child, withIntermediateDirectories: true)
        try "pack: {id: child, name: 子, case_number_prefix: ZZ, extends: ../pack}\n".write(toFile: child + "/pack.yaml", atomically: true, encoding: .utf8)
        let inherited = try RulePackLoader().load(directory: child).pack.scoring.penaltyProcedure
        #expect(inherited?.decidedBy == ["leader"] && inherited?.appeal?.withinWorkingDays == 5)

        try "scoring:\n  penalty_procedure: {decided_by: [unit_head]}\n".write(toFile: child + "/scoring.yaml", atomically: true, encoding: .utf8)
        let replaced = try RulePackLoader().load(directory: child).pack.scoring
        #expect(replaced.penaltyProcedure?.decidedBy == ["unit_head"] && replaced.penaltyProcedure?.appeal == nil)
        #expect(replaced.thresholds.map(\.id) == ["T1", "T2"])   // the rest of scoring still inherited
    }

    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test(arguments: [
        ("tobacco-prefecture", ["leader"], true),
        ("county-example", ["leader"], true),     // inherited
        ("after-sales", ["leader"], false),
        ("online-service", ["center_gm"], false),
    ])
    func shippedPacksDeclareWhoDecides(_ name: String, decidedBy: [String], appeal: Bool) throws {
        let pack = try RulePackLoader().load(directory: Self.repoRoot.appendingPathComponent("rules/\(name)").path).pack
        let procedure = try #require(pack.scoring.penaltyProcedure)
        #expect(procedure.decidedBy == decidedBy)
        #expect((procedure.appeal != nil) == appeal)
        #expect(pack.people.contains { $0.roles.contains(decidedBy[0]) })
    }
}

import Foundation
import KesuKernel
import KesuYAML
import Testing

@Suite struct BadPackTests {
    func good(_ file: String) -> String { Fixture.good[file]! }

    @Test func yamlSyntaxError() throws {
        let dir = try Fixture.write(["routing.yaml": """
            routing:
              - id: R9-fallback
                unit: [enterprise_mgmt
              - id: R10

            """])
        let diags = Fixture.failures(dir)
        expectError(diags, at: "\(dir)/routing.yaml:4:7", ["YAML syntax error", "did not find expected ',' or ']'"])
    }

    @Test func unknownSectionWithDidYouMean() throws {
        let dir = try Fixture.write(["org.yaml": good("org.yaml").replacingOccurrences(of: "roles:\n", with: "rouls:\n")])
        let diags = Fixture.failures(dir)
        expectError(diags, at: "\(dir)/org.yaml:1:1", ["unknown section 'rouls'", "did you mean 'roles'?"])
    }

    @Test func unknownKeyWithDidYouMean() throws {
        let dir = try Fixture.write(["classify.yaml": good("classify.yaml")
            .replacingOccurrences(of: "{id: inquiry, name: 咨询}", with: "{id: inquiry, nmae: 咨询}")])
        let diags = Fixture.failures(dir)
        expectError(diags, at: "\(dir)/classify.yaml:3:19", ["unknown key 'nmae'", "did you mean 'name'?"])
        expectError(diags, at: "\(dir)/classify.yaml:3:5", ["kind is missing required key 'name'"])
    }

    @Test func caseNumberGaps() throws {
        let allowed = try Fixture.write(["pack.yaml": good("pack.yaml")
            .replacingOccurrences(of: "case_number_prefix: YC\n", with: "case_number_prefix: YC\n  case_number_gaps: allowed\n")])
        #expect(try RulePackLoader().load(directory: allowed).pack.info.caseNumbering == CaseNumbering(prefix: "YC", gaps: .allowed))
        let dir = try Fixture.write(["pack.yaml": good("pack.yaml")
            .replacingOccurrences(of: "case_number_prefix: YC\n", with: "case_number_prefix: YC\n  case_number_gaps: alowed\n")])
        let diags = Fixture.failures(dir)
        expectError(diags, at: "\(dir)/pack.yaml:6:21", ["'alowed'", "did you mean 'allowed'?"])
    }

    @Test func routeToUnknownUnit() throws {
        let dir = try Fixture.write(["routing.yaml": good("routing.yaml")
            .replacingOccurrences(of: "unit: enterprise_mgmt", with: "unit: enterprise_mgnt")])
        let diags = Fixture.failures(dir)
        expectError(diags, at: "\(dir)/routing.yaml:6:5",
                    ["routing rule 'R9-fallback'", "unknown unit 'enterprise_mgnt'", "did you mean 'enterprise_mgmt'?"])
        #expect(diags.filter { $0.severity == .error }.count == 1)
    }

    @Test func transitionToUnknownState() throws {
        let dir = try Fixture.write(["procedure.yaml": good("procedure.yaml")
            .replacingOccurrences(of: "to: handling", with: "to: handlin")])
        let diags = Fixture.failures(dir)
        expectError(diags, at: "\(dir)/procedure.yaml:19:11",
                    ["transition 'dispatch'", "unknown state 'handlin'", "did you mean 'handling'?"])
        #expect(diags.filter { $0.severity == .error }.count == 1)
    }

    @Test func transitionRoleNobodyDeclared() throws {
        let dir = try Fixture.write(["procedure.yaml": good("procedure.yaml")
            .replacingOccurrences(of: "roles: [liaison]", with: "roles: [inspector]")])
        let diags = Fixture.failures(dir)
        expectError(diags, at: "\(dir)/procedure.yaml:20:7", ["transition 'answer'", "unknown role 'inspector'"])
        #expect(diags.filter { $0.severity == .error }.count == 1)
    }

    @Test func missingFallback() throws {
        let dir = try Fixture.write(["routing.yaml": """
            routing:
              - id: R1-license
                when: {category: license}
                unit: county_a_bureau

            """])
        let diags = Fixture.failures(dir)
        expectError(diags, at: "\(dir)/routing.yaml:2:5", ["routing rule 'R1-license'", "not a fallback"])
        #expect(diags.filter { $0.severity == .error }.count == 1)
    }

    @Test func stateWithNoWayOut() throws {
        let dir = try Fixture.write(["procedure.yaml": good("procedure.yaml")
            .replacingOccurrences(of: "    - {id: closed,", with: "    - {id: parked, name: 搁置}\n    - {id: closed,")])
        let diags = Fixture.failures(dir)
        expectError(diags, at: "\(dir)/procedure.yaml:7:7",
                    ["state 'parked' has no way out: add a transition from it or mark it final"])
        #expect(diags.filter { $0.severity == .error }.count == 1)
    }

    @Test func clockThatNothingStops() throws {
        let dir = try Fixture.write(["clocks.yaml": """
            clocks:
              - id: quick_clock
                working_minutes: 90
                start: [intake]

            """])
        let diags = Fixture.failures(dir)
        expectError(diags, at: "\(dir)/clocks.yaml:2:5", ["clock 'quick_clock' has nothing that stops it"])
        #expect(diags.filter { $0.severity == .error }.count == 1)
    }

    @Test func duplicateID() throws {
        let dir = try Fixture.write(["classify.yaml": good("classify.yaml")
            .replacingOccurrences(of: "  - {id: inquiry, name: 咨询}\n", with: "  - {id: inquiry, name: 咨询}\n  - {id: complaint, name: 投诉二}\n")])
        let diags = Fixture.failures(dir)
        expectError(diags, at: "\(dir)/classify.yaml:4:5", ["duplicate kind 'complaint'", "first defined at line 2"])
        #expect(diags.filter { $0.severity == .error }.count == 1)
    }

    @Test func impossibleDateInIncludedCalendar() throws {
        let dir = try Fixture.write(calendar: Fixture.calendar.replacingOccurrences(of: "2026-10-02", with: "2026-02-30"))
        let root = String(dir.dropLast("/pack".count))
        let diags = Fixture.failures(dir)
        expectError(diags, at: "\(root)/calendars/cal.yaml:4:12", ["impossible date '2026-02-30'"])
        #expect(diags.filter { $0.severity == .error }.count == 1)
    }

    @Test func missingInclude() throws {
        let dir = try Fixture.write(calendar: nil)
        let diags = Fixture.failures(dir)
        expectError(diags, at: "\(dir)/pack.yaml:10:13", ["included calendar '../calendars/cal.yaml' not found"])
        #expect(diags.filter { $0.severity == .error }.count == 1)
    }

    @Test func missingPackFile() throws {
        let dir = try Fixture.write(["pack.yaml": nil])
        let diags = Fixture.failures(dir)
        expectError(diags, at: "\(dir):1:1", ["no pack.yaml"])
    }

    @Test func sectionInTwoFiles() throws {
        let dir = try Fixture.write(["extra.yaml": "kinds:\n  - {id: other, name: 其他}\n"])
        let diags = Fixture.failures(dir)
        expectError(diags, at: "\(dir)/extra.yaml:1:1", ["section 'kinds' is already defined at \(dir)/classify.yaml:1:1"])
    }

    @Test func badCalendarValues() throws {
        let dir = try Fixture.write(["pack.yaml": good("pack.yaml")
            .replacingOccurrences(of: "\"14:30-18:00\"", with: "\"14:30-1800\"")
            .replacingOccurrences(of: "[saturday, sun]", with: "[saturday, sundy]")])
        let diags = Fixture.failures(dir)
        expectError(diags, at: "\(dir)/pack.yaml:8:35", ["bad business hours '14:30-1800'"])
        expectError(diags, at: "\(dir)/pack.yaml:9:23", ["unknown weekday 'sundy'", "did you mean 'sunday'?"])
    }

    @Test func everyErrorInEveryFileIsReported() throws {
        let dir = try Fixture.write([
            "routing.yaml": good("routing.yaml").replacingOccurrences(of: "unit: enterprise_mgmt", with: "unit: enterprise_mgnt"),
            "classify.yaml": good("classify.yaml")
                .replacingOccurrences(of: "  - {id: inquiry, name: 咨询}\n", with: "  - {id: inquiry, name: 咨询}\n  - {id: complaint, name: 投诉二}\n"),
            "procedure.yaml": good("procedure.yaml")
                .replacingOccurrences(of: "    - {id: closed,", with: "    - {id: parked, name: 搁置}\n    - {id: closed,")
                .replacingOccurrences(of: "roles: [liaison]", with: "roles: [inspector]"),
            "org.yaml": good("org.yaml").replacingOccurrences(of: "roles:\n", with: "rouls:\n"),
        ], calendar: Fixture.calendar.replacingOccurrences(of: "2026-10-02", with: "2026-02-30"))
        let root = String(dir.dropLast("/pack".count))
        let diags = Fixture.failures(dir)
        expectError(diags, at: "\(dir)/routing.yaml:6:5", ["unknown unit 'enterprise_mgnt'"])
        expectError(diags, at: "\(dir)/classify.yaml:4:5", ["duplicate kind 'complaint'"])
        expectError(diags, at: "\(dir)/procedure.yaml:7:7", ["state 'parked' has no way out"])
        expectError(diags, at: "\(dir)/procedure.yaml:21:7", ["unknown role 'inspector'"])
        expectError(diags, at: "\(dir)/org.yaml:1:1", ["unknown section 'rouls'"])
        expectError(diags, at: "\(root)/calendars/cal.yaml:4:12", ["impossible date '2026-02-30'"])
        #expect(diags == diags.sortedByLocation())
    }

    @Test func errorDescriptionPrintsOneLinePerProblem() throws {
        let dir = try Fixture.write([
            "routing.yaml": good("routing.yaml").replacingOccurrences(of: "unit: enterprise_mgmt", with: "unit: enterprise_mgnt"),
            "procedure.yaml": good("procedure.yaml").replacingOccurrences(of: "to: handling", with: "to: handlin"),
        ])
        do {
            _ = try RulePackLoader().load(directory: dir)
            Issue.record("expected a refusal")
        } catch let error as RulePackError {
            let lines = error.description.split(separator: "\n").map(String.init)
            #expect(lines.count == error.diagnostics.count + 1)
            #expect(lines.contains("\(dir)/procedure.yaml:19:11: error: transition 'dispatch' names unknown state 'handlin'; did you mean 'handling'?"))
            #expect(lines.contains("\(dir)/routing.yaml:6:5: error: routing rule 'R9-fallback' names unknown unit 'enterprise_mgnt'; did you mean 'enterprise_mgmt'?"))
            for line in lines.dropLast() {
                #expect(line.hasPrefix(dir + "/") && line.contains(".yaml:") && (line.contains(": error: ") || line.contains(": warning: ")))
            }
            #expect(lines.last == "rule pack refused: 2 error(s)")
        }
    }
}

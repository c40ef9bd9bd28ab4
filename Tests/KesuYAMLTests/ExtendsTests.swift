import Foundation
import KesuKernel
import KesuYAML
import Testing

/// A parent pack (the fixture, at ROOT/pack) and a child at ROOT/child that extends it.
enum Family {
    static func packSection(id: String = "child-pack", extends parent: String? = "../pack") -> String {
        """
        pack:
          id: \(id)
          name: 县局细则
          case_number_prefix: ZB
        \(parent.map { "  extends: \($0)\n" } ?? "")
        """
    }

    /// The parent's routing: four rules, so in-place replacement, placement and removal show.
    static let parentRouting = """
        routing:
          - id: R1-license
            name: 许可证 → 所在县局
            when: {category: {one_of: [license]}, region: {missing: false}}
            unit_from: region
          - id: R2-service
            name: 服务 → 县局
            when: {category: service}
            unit: county_a_bureau
          - id: R3-inquiry
            name: 咨询 → 企业管理科
            when: {kind: inquiry}
            unit: enterprise_mgmt
          - id: R9-fallback
            name: 其他
            unit: enterprise_mgmt

        """

    /// Writes the parent (the fixture with `parent` overrides, routing `parentRouting` unless overridden)
    /// and the child (`pack.yaml` defaults to `packSection()`); returns the folders.
    static func write(child: [String: String], parent: [String: String?] = [:], calendar: String? = Fixture.calendar)
        throws -> (root: String, parent: String, child: String) {
        var overrides: [String: String?] = ["routing.yaml": parentRouting]
        for (name, text) in parent { overrides[name] = text }
        let parentDir = try Fixture.write(overrides, calendar: calendar)
        let root = String(parentDir.dropLast("/pack".count))
        let childDir = root + "/child"
        try writeFolder(childDir, ["pack.yaml": packSection()].merging(child) { _, new in new })
        return (root, parentDir, childDir)
    }

    static func writeFolder(_ dir: String, _ files: [String: String]) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files {
            try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
        }
    }
}

@Suite struct ExtendsTests {
    @Test func childReplacesInPlaceAddsWithBeforeAndAfterAndRemoves() throws {
        let (root, parent, child) = try Family.write(child: ["routing.yaml": """
            routing:
              - id: R2-service
                name: 服务 → 企业管理科
                when: {category: service}
                unit: enterprise_mgmt
              - id: R4-major
                name: 重大 → 企业管理科
                when: {level: major}
                unit: enterprise_mgmt
                before: R1-license
              - {id: R3-inquiry, remove: true}
              - id: R5-complaint
                when: {kind: complaint}
                unit: county_a_bureau
                after: R1-license

            """])
        let loaded = try RulePackLoader().load(directory: child)
        let pack = loaded.pack
        #expect(loaded.warnings.isEmpty, "\(loaded.warnings)")
        #expect(pack.routing.map(\.id) == ["R4-major", "R1-license", "R5-complaint", "R2-service", "R9-fallback"])
        // The replaced rule is the child's, in the parent's place; inherited rules keep the parent's file.
        let r2 = try #require(pack.routing.first { $0.id == "R2-service" })
        #expect(r2.target == .unit("enterprise_mgmt") && r2.name == "服务 → 企业管理科")
        #expect(r2.location.description == "\(child)/routing.yaml:2:5")
        #expect(pack.routing[0].location.description == "\(child)/routing.yaml:6:5")
        #expect(pack.routing[1].location.description == "\(parent)/routing.yaml:2:5")
        #expect(pack.routing[4].location.description == "\(parent)/routing.yaml:14:5")

        // The child's own `pack:` replaces the parent's as a whole (no inherited label); the rest is inherited.
        #expect(pack.info.id == "child-pack" && pack.info.caseNumberPrefix == "ZB" && pack.info.label == "")
        #expect(pack.info.location.description == "\(child)/pack.yaml:2:3")
        #expect(pack.roles.map(\.id) == ["clerk", "liaison", "unit_head", "leader", "auditor"])
        #expect(pack.roles[0].location.description == "\(parent)/org.yaml:2:5")
        #expect(pack.calendar.holidays.map(\.date.description) == ["2026-10-01", "2026-10-02", "2026-12-31"])
        #expect(pack.calendar.holidays[0].location.description == "\(root)/calendars/cal.yaml:3:5")
        #expect(pack.procedure.transitions.map(\.id) == ["dispatch", "answer", "callback", "close_inquiry"])

        // Every file read: the child's, the parent's, then the calendar (included by the parent).
        let parentNames = ["pack.yaml", "classify.yaml", "clocks.yaml", "org.yaml", "procedure.yaml", "routing.yaml", "scoring.yaml"]
        #expect(loaded.files == ["\(child)/pack.yaml", "\(child)/routing.yaml"] + parentNames.map { "\(parent)/\($0)" }
            + ["\(root)/calendars/cal.yaml"])
    }

    @Test func procedureAndScoringMergeTheirListsByID() throws {
        let (_, parent, child) = try Family.write(child: [
            "procedure.yaml": """
                procedure:
                  states:
                    - {id: reviewed, name: 县局复核, before: callback_pending}
                  transitions:
                    - id: answer
                      name: 答复
                      from: [handling]
                      roles: [liaison]
                      requires: [answer_text]
                      assign_actor: true
                      to: reviewed
                    - id: review
                      name: 县局复核
                      from: [reviewed]
                      roles: [unit_head]
                      to: callback_pending
                      after: answer

                """,
            "scoring.yaml": """
                scoring:
                  rules:
                    - {id: S1, on: {violation: late_answer}, unit: 2, person: 2}
                    - {id: S6, remove: true}

                """,
        ])
        let loaded = try RulePackLoader().load(directory: child)
        let procedure = loaded.pack.procedure
        #expect(loaded.warnings.isEmpty, "\(loaded.warnings)")
        #expect(procedure.initialState == "registered")                  // inherited key
        #expect(procedure.intake.roles == ["clerk"] && procedure.intake.route)
        #expect(procedure.states.map(\.id) == ["registered", "handling", "reviewed", "callback_pending", "closed"])
        #expect(procedure.transitions.map(\.id) == ["dispatch", "answer", "review", "callback", "close_inquiry"])
        #expect(procedure.transitions[1].to.map(\.state) == ["reviewed"])
        #expect(procedure.transitions[1].location.description == "\(child)/procedure.yaml:5:7")
        #expect(procedure.transitions[0].location.description == "\(parent)/procedure.yaml:14:7")
        #expect(procedure.location.description == "\(child)/procedure.yaml:2:3")

        let scoring = loaded.pack.scoring
        #expect(scoring.baseline == 100)
        #expect(scoring.rules.map(\.id) == ["S1", "S5"])
        #expect(scoring.rules[0].unitPoints == 2 && scoring.rules[0].personPoints == 2)
        #expect(scoring.violations.map(\.id) == ["late_answer", "stalling"])
        #expect(scoring.thresholds.map(\.id) == ["T1", "T2"])
    }

    @Test func childCalendarReplacesTheParentsAsAWhole() throws {
        let (root, _, child) = try Family.write(child: ["calendar.yaml": """
            calendar:
              business_hours: ["09:00-17:00"]
              holidays:
                - {date: 2026-11-11, name: county_day, zh: 县庆}

            """])
        let loaded = try RulePackLoader().load(directory: child)
        #expect(loaded.pack.calendar.businessHours == [MinuteRange(start: 540, end: 1020)])
        #expect(loaded.pack.calendar.holidays.map(\.date.description) == ["2026-11-11"])
        #expect(loaded.pack.calendar.location.description == "\(child)/calendar.yaml:2:3")
        // The parent's calendar section is not read, so neither is the file it includes.
        #expect(!loaded.files.contains("\(root)/calendars/cal.yaml"))
        #expect(!loaded.snapshot.files.keys.contains("\(root)/calendars/cal.yaml"))
    }

    @Test func anInheritedItemIsReadAndCheckedAtTheParentsFile() throws {
        // The parent's R3 has a typo; the child removes the kind the parent's category names.
        let typo = Family.parentRouting.replacingOccurrences(of: "name: 咨询 → 企业管理科", with: "nmae: 咨询 → 企业管理科")
        let (_, parent, child) = try Family.write(
            child: ["classify.yaml": "kinds:\n  - {id: inquiry, remove: true}\n"], parent: ["routing.yaml": typo])
        let diags = Fixture.failures(child)
        expectError(diags, at: "\(parent)/routing.yaml:11:5", ["unknown key 'nmae' in routing rule", "did you mean 'name'?"])
        expectError(diags, at: "\(parent)/classify.yaml:8:5", ["category 'license' names unknown kind 'inquiry'"])
        #expect(diags.allSatisfy { !$0.location.file.hasPrefix(child + "/") }, "\(diags)")

        // Removed by the child, the parent's R3 is not read at all: its typo is no longer reported.
        try Family.writeFolder(child, ["routing.yaml": "routing:\n  - {id: R3-inquiry, remove: true}\n"])
        let after = Fixture.failures(child)
        #expect(!after.contains { $0.message.contains("nmae") }, "\(after)")
        expectError(after, at: "\(parent)/classify.yaml:8:5", ["category 'license' names unknown kind 'inquiry'"])
    }

    @Test func aChildOverrideIsReportedAtTheChildsFile() throws {
        let (_, _, child) = try Family.write(child: ["routing.yaml": """
            routing:
              - id: R2-service
                name: 服务 → 企业管理科
                when: {category: service}
                unit: enterprise_mgnt
              - id: R9-fallback
                nmae: 其他
                unit: enterprise_mgmt

            """])
        let diags = Fixture.failures(child)
        expectError(diags, at: "\(child)/routing.yaml:2:5",
                    ["routing rule 'R2-service' names unknown unit 'enterprise_mgnt'", "did you mean 'enterprise_mgmt'?"])
        expectError(diags, at: "\(child)/routing.yaml:7:5", ["unknown key 'nmae' in routing rule"])
        #expect(diags.filter { $0.severity == .error }.count == 2, "\(diags)")
    }

    @Test func aCycleIsAnErrorAtTheExtendsValueNamingTheChain() throws {
        let root = FileManager.default.temporaryDirectory.path + "/kesu-cycle-\(UUID().uuidString)"
        try Family.writeFolder(root + "/a", ["pack.yaml": Family.packSection(id: "a", extends: "../b")])
        try Family.writeFolder(root + "/b", ["pack.yaml": Family.packSection(id: "b", extends: "../a")])
        let diags = Fixture.failures(root + "/a")
        expectError(diags, at: "\(root)/b/pack.yaml:5:12", ["cycle", "\(root)/a → \(root)/b → \(root)/a"])

        try Family.writeFolder(root + "/self", ["pack.yaml": Family.packSection(id: "self", extends: ".")])
        expectError(Fixture.failures(root + "/self"), at: "\(root)/self/pack.yaml:5:12", ["cycle", "\(root)/self → \(root)/self"])
    }

    @Test func aMissingParentIsAnErrorAtTheExtendsValue() throws {
        let (root, _, child) = try Family.write(child: [
            "pack.yaml": Family.packSection(extends: "../nowhere"),
            "routing.yaml": "routing:\n  - {id: R3-inquiry, remove: true}\n  - {id: R4, unit: x, before: R1-license}\n",
        ])
        let diags = Fixture.failures(child)
        expectError(diags, at: "\(child)/pack.yaml:5:12", ["extended rule pack folder '../nowhere' not found", "\(root)/nowhere"])
        // The parent missing, the child's placements are not reported on top.
        #expect(!diags.contains { $0.message.contains("placed") || $0.message.contains("cannot remove") })
    }

    @Test func placementOnAnUnknownIDSaysDidYouMean() throws {
        let (_, _, child) = try Family.write(child: ["routing.yaml": """
            routing:
              - id: R4-major
                when: {level: major}
                unit: enterprise_mgmt
                before: R1-licence
              - id: R5-complaint
                when: {kind: complaint}
                unit: enterprise_mgmt
                after: R2-servise
              - {id: R3-inquirie, remove: true}
              - id: R6-both
                when: {kind: inquiry}
                unit: enterprise_mgmt
                before: R1-license
                after: R1-license

            """])
        let diags = Fixture.failures(child)
        expectError(diags, at: "\(child)/routing.yaml:5:13",
                    ["routing rule 'R4-major' is placed before unknown routing rule 'R1-licence'", "did you mean 'R1-license'?"])
        expectError(diags, at: "\(child)/routing.yaml:9:12",
                    ["routing rule 'R5-complaint' is placed after unknown routing rule 'R2-servise'", "did you mean 'R2-service'?"])
        expectError(diags, at: "\(child)/routing.yaml:10:10",
                    ["cannot remove routing rule 'R3-inquirie'", "did you mean 'R3-inquiry'?"])
        expectError(diags, at: "\(child)/routing.yaml:11:5", ["routing rule 'R6-both' has both 'before' and 'after'"])
    }

    @Test func placementKeysAreRefusedInAPackThatExtendsNothing() throws {
        let dir = try Fixture.write(["routing.yaml": """
            routing:
              - id: R1-license
                when: {category: {one_of: [license]}, region: {missing: false}}
                unit_from: region
                after: R9-fallback
              - {id: R2-gone, remove: true}
              - id: R9-fallback
                unit: enterprise_mgmt

            """])
        let diags = Fixture.failures(dir)
        expectError(diags, at: "\(dir)/routing.yaml:5:5", ["'after' of routing rule 'R1-license' is allowed only in a pack that extends another"])
        expectError(diags, at: "\(dir)/routing.yaml:6:19", ["'remove' of routing rule 'R2-gone' is allowed only in a pack that extends another"])
        // The keys are stripped: the item readers never see them, so nothing else is reported.
        #expect(diags.filter { $0.severity == .error }.count == 2, "\(diags)")
    }

    @Test func versionCoversTheParentsFilesKeyedRelativeToTheChild() throws {
        let (root, parent, child) = try Family.write(child: ["routing.yaml": "routing:\n  - {id: R3-inquiry, remove: true}\n"])
        let v1 = try RulePackLoader().load(directory: child).pack.version

        // The documented hash: the child's files by name, the parent's by path relative to the child folder.
        var input: [(String, String)] = [("pack.yaml", Family.packSection()), ("routing.yaml", "routing:\n  - {id: R3-inquiry, remove: true}\n")]
        for name in ["pack.yaml", "classify.yaml", "clocks.yaml", "org.yaml", "procedure.yaml", "scoring.yaml"] {
            input.append(("../pack/\(name)", Fixture.good[name]!))
        }
        input.append(("../pack/routing.yaml", Family.parentRouting))
        input.append(("../calendars/cal.yaml", Fixture.calendar))
        var bytes: [UInt8] = []
        for (path, text) in input.sorted(by: { $0.0 < $1.0 }) { bytes += Array(path.utf8) + [0] + Array(text.utf8) }
        #expect(v1 == SHA256.hex(bytes))

        // One byte in a parent's file changes the child's version.
        try Family.parentRouting.replacingOccurrences(of: "其他", with: "其它")
            .write(toFile: parent + "/routing.yaml", atomically: true, encoding: .utf8)
        let v2 = try RulePackLoader().load(directory: child).pack.version
        #expect(v2 != v1)
        // …and so does one in the calendar the parent includes.
        try Fixture.calendar.replacingOccurrences(of: "region: CN", with: "region: CX")
            .write(toFile: root + "/calendars/cal.yaml", atomically: true, encoding: .utf8)
        #expect(try RulePackLoader().load(directory: child).pack.version != v2)
    }

    @Test func aGrandparentIsMergedFirst() throws {
        let (root, parent, child) = try Family.write(child: ["routing.yaml": """
            routing:
              - {id: R2-service, when: {category: service}, unit: enterprise_mgmt}

            """])
        // ROOT/grandchild extends ../child, which extends ../pack.
        try Family.writeFolder(root + "/grandchild", [
            "pack.yaml": Family.packSection(id: "grandchild", extends: "../child"),
            "routing.yaml": "routing:\n  - {id: R0-first, unit: county_a_bureau, when: {kind: complaint}, before: R1-license}\n",
        ])
        let loaded = try RulePackLoader().load(directory: root + "/grandchild")
        #expect(loaded.pack.info.id == "grandchild")
        #expect(loaded.pack.routing.map(\.id) == ["R0-first", "R1-license", "R2-service", "R3-inquiry", "R9-fallback"])
        #expect(loaded.pack.routing[2].location.description == "\(child)/routing.yaml:2:5")
        #expect(loaded.pack.routing[1].location.description == "\(parent)/routing.yaml:2:5")
        #expect(loaded.files.contains("\(parent)/routing.yaml") && loaded.files.contains("\(child)/routing.yaml"))
    }
}

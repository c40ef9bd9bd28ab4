import Foundation
import KesuKernel
import KesuYAML
import Testing

/// `permissions:` on roles and `personal:` on fields, in the fixture pack and the shipped packs.
@Suite struct PermissionsLoaderTests {
    func good(_ file: String) -> String { Fixture.good[file]! }
    static func shipped(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("rules/\(name)").path
    }

    @Test func rolesReadTheirPermissionsAndFieldsTheirPersonalFlag() throws {
        let dir = try Fixture.write([
            "org.yaml": good("org.yaml")
                .replacingOccurrences(of: "{id: clerk, name: 投诉受理员}", with: "{id: clerk, name: 投诉受理员, permissions: [personal_data]}")
                .replacingOccurrences(of: "{id: auditor, name: 审计, read_only: true}",
                                      with: "{id: auditor, name: 审计, read_only: true, permissions: [reports, rules_admin]}"),
            "classify.yaml": good("classify.yaml")
                .replacingOccurrences(of: "{id: answer_text, name: 答复, type: text}", with: "{id: answer_text, name: 答复, type: text, personal: true}"),
        ])
        let pack = try RulePackLoader().load(directory: dir).pack
        #expect(pack.role("clerk")?.permissions == [.personalData])
        #expect(pack.role("auditor")?.permissions == [.reports, .rulesAdmin])
        #expect(pack.role("liaison")?.permissions == [])
        #expect(pack.fields.first { $0.id == "answer_text" }?.personal == true)
        #expect(pack.fields.first { $0.id == "fault" }?.personal == false)
        #expect(PersonalData.personalFields(in: pack).contains("answer_text"))
        #expect(pack.principal("zhao")?.has(.personalData) == true)
        #expect(pack.principal("wu")?.has(.personalData) == false)
    }

    @Test func unknownPermissionIsAnErrorWithDidYouMean() throws {
        let dir = try Fixture.write(["org.yaml": good("org.yaml")
            .replacingOccurrences(of: "{id: clerk, name: 投诉受理员}", with: "{id: clerk, name: 投诉受理员, permissions: [personal_dat]}")])
        let diags = Fixture.failures(dir)
        expectError(diags, at: "\(dir)/org.yaml:2:44", ["unknown permission 'personal_dat'", "did you mean 'personal_data'?"])
    }

    @Test func permissionsMustBeAList() throws {
        let dir = try Fixture.write(["org.yaml": good("org.yaml")
            .replacingOccurrences(of: "{id: clerk, name: 投诉受理员}", with: "{id: clerk, name: 投诉受理员, permissions: reports}")])
        let diags = Fixture.failures(dir)
        #expect(diags.contains { $0.severity == .error && $0.message.contains("expected a list for 'permissions' of role") })
    }

    @Test func personalMustBeAFlag() throws {
        let dir = try Fixture.write(["classify.yaml": good("classify.yaml")
            .replacingOccurrences(of: "{id: answer_text, name: 答复, type: text}", with: "{id: answer_text, name: 答复, type: text, personal: maybe}")])
        let diags = Fixture.failures(dir)
        #expect(diags.contains { $0.severity == .error && $0.message.contains("expected true or false for 'personal'") })
    }

    /// The shipped packs' decisions: who sees the complainant, who reads reports, who administers rules.
    @Test(arguments: ["tobacco-prefecture", "county-example"])
    func prefecturePermissions(_ name: String) throws {
        let pack = try RulePackLoader().load(directory: Self.shipped(name)).pack
        func has(_ person: String, _ p: Permission) -> Bool { pack.principal(person)?.has(p) == true }
        for person in ["zhao_min", "sun_li", "qian_jin", "feng_jianguo", "wang_lei", "zhou_hong"] {
            #expect(has(person, .personalData), "\(person) should see personal data")
        }
        for person in ["li_na", "chen_gang", "deng_qing", "wu_jing", "ma_lin"] {
            #expect(!has(person, .personalData), "\(person) should not see personal data")
        }
        for person in ["qian_jin", "feng_jianguo", "wu_jing", "deng_qing"] { #expect(has(person, .reports)) }
        for person in ["zhao_min", "li_na", "wang_lei"] { #expect(!has(person, .reports)) }
        #expect(pack.people.filter { has($0.id, .rulesAdmin) }.map(\.id) == ["wu_jing"])
    }

    @Test(arguments: ["online-service", "after-sales"])
    func everyShippedPackGrantsEachPermissionToSomeone(_ name: String) throws {
        let pack = try RulePackLoader().load(directory: Self.shipped(name)).pack
        for p in Permission.allCases {
            #expect(pack.people.contains { pack.principal($0.id)?.has(p) == true }, "\(name): nobody has \(p.rawValue)")
        }
        let auditors = pack.people.filter { pack.principal($0.id)?.readOnly == true }
        #expect(!auditors.isEmpty)
        for a in auditors { #expect(pack.principal(a.id)?.has(.personalData) == false) }
    }
}

/// `worklist:` on states: which console work list (审批, 回访) a state's cases wait on.
@Suite struct WorklistLoaderTests {
    @Test func statesNameTheirWorklist() throws {
        let dir = try Fixture.write(["procedure.yaml": Fixture.good["procedure.yaml"]!
            .replacingOccurrences(of: "{id: callback_pending, name: 待回访}", with: "{id: callback_pending, name: 待回访, worklist: callback}")])
        let pack = try RulePackLoader().load(directory: dir).pack
        #expect(pack.state("callback_pending")?.worklist == .callback)
        #expect(pack.state("registered")?.worklist == nil)
    }

    @Test func anUnknownWorklistIsAnErrorAtItsPlace() throws {
        let dir = try Fixture.write(["procedure.yaml": Fixture.good["procedure.yaml"]!
            .replacingOccurrences(of: "{id: callback_pending, name: 待回访}", with: "{id: callback_pending, name: 待回访, worklist: callbacks}")])
        let diags = Fixture.failures(dir)
        #expect(diags.contains { $0.severity == .error && $0.location.description.hasPrefix("\(dir)/procedure.yaml:") && $0.message.contains("'callbacks'")
            && $0.message.contains("did you mean 'callback'?") })
    }

    /// The shipped packs put their sign-off and call-back states on the console's lists.
    @Test func shippedPacksDeclareTheirLists() throws {
        let tobacco = try RulePackLoader().load(directory: PermissionsLoaderTests.shipped("tobacco-prefecture")).pack
        #expect(tobacco.state("awaiting_approval")?.worklist == .approval)
        #expect(tobacco.state("callback_pending")?.worklist == .callback)
        let afterSales = try RulePackLoader().load(directory: PermissionsLoaderTests.shipped("after-sales")).pack
        #expect(afterSales.state("plan_proposed")?.worklist == .approval)
    }
}

/// `multiline:` on text fields: the console's text areas come from the pack.
@Suite struct MultilineFieldTests {
    @Test func textFieldsMayBeMultilineOthersMayNot() throws {
        let dir = try Fixture.write(["classify.yaml": Fixture.good["classify.yaml"]!
            .replacingOccurrences(of: "{id: answer_text, name: 答复, type: text}", with: "{id: answer_text, name: 答复, type: text, multiline: true}")])
        let pack = try RulePackLoader().load(directory: dir).pack
        #expect(pack.fields.first { $0.id == "answer_text" }?.multiline == true)
        #expect(pack.fields.first { $0.id == "fault" }?.multiline == false)
        let bad = try Fixture.write(["classify.yaml": Fixture.good["classify.yaml"]!
            .replacingOccurrences(of: "{id: answer_text, name: 答复, type: text}", with: "{id: answer_text, name: 答复, type: choice, values: [{id: a, name: A}], multiline: true}")])
        #expect(Fixture.failures(bad).contains { $0.severity == .error && $0.message.contains("is multiline but not of type text") })
    }
}

import Foundation
import KesuKernel
import KesuYAML
import Testing

/// Pack rules that would silently lose or invent something are refused at load, at the key that
/// says it: a ladder step repeating a violation its run already records, and a person id taken
/// from a field that does not hold people.
@Suite struct LadderViolationAndPersonFieldTests {
    func good(_ file: String) -> String { Fixture.good[file]! }

    /// "FILE:LINE:COLUMN" of the first `key` on the first line containing `marker` in `text`.
    func place(of key: String, onLineWith marker: String, in text: String, file: String) -> String {
        let lines = text.components(separatedBy: "\n")
        let index = lines.firstIndex { $0.contains(marker) }!
        let column = lines[index].distance(from: lines[index].startIndex, to: lines[index].range(of: key)!.lowerBound) + 1
        return "\(file):\(index + 1):\(column)"
    }

    @Test func aStepRepeatingItsClocksViolationIsRefusedAtItsViolationKey() throws {
        let clocks = good("clocks.yaml").replacingOccurrences(of: "escalate_to: [leader], violation: stalling}",
                                                             with: "escalate_to: [leader], violation: late_answer}")
        let dir = try Fixture.write(["clocks.yaml": clocks])
        let diags = Fixture.failures(dir)
        expectError(diags, at: place(of: "violation:", onLineWith: "violation: late_answer}", in: clocks, file: "\(dir)/clocks.yaml"),
                    ["step 3 of ladder 'answer_ladder' records violation 'late_answer'", "clock 'answer_clock' itself",
                     "give the step its own violation id", "scored on its own"])
        #expect(diags.filter { $0.severity == .error }.count == 1)
    }

    @Test func aStepRepeatingAnotherStepsViolationIsRefused() throws {
        let clocks = good("clocks.yaml").replacingOccurrences(of: "{at: {working_minutes_after_due: 600}, remind: [leader]}",
                                                             with: "{at: {working_minutes_after_due: 600}, remind: [leader], violation: stalling}")
        let dir = try Fixture.write(["clocks.yaml": clocks])
        let diags = Fixture.failures(dir)
        expectError(diags, at: place(of: "violation:", onLineWith: "working_minutes_after_due: 600", in: clocks, file: "\(dir)/clocks.yaml"),
                    ["step 4 of ladder 'answer_ladder' records violation 'stalling'", "step 3 of ladder 'answer_ladder' already records",
                     "give the step its own violation id"])
        #expect(diags.filter { $0.severity == .error }.count == 1)
    }

    @Test func personFromATextFieldIsRefusedAtTheKey() throws {
        let scoring = good("scoring.yaml").replacingOccurrences(of: "person_from: respondent_person", with: "person_from: answer_text")
        let dir = try Fixture.write(["scoring.yaml": scoring])
        let diags = Fixture.failures(dir)
        expectError(diags, at: place(of: "person_from:", onLineWith: "person_from:", in: scoring, file: "\(dir)/scoring.yaml"),
                    ["person_from of scoring rule 'S5'", "field 'answer_text', which does not hold people", "type: person"])
        #expect(diags.filter { $0.severity == .error }.count == 1)
    }

    @Test func personFromAnUnknownFieldSuggestsAPersonField() throws {
        let scoring = good("scoring.yaml").replacingOccurrences(of: "person_from: respondent_person", with: "person_from: respondent_persn")
        let dir = try Fixture.write(["scoring.yaml": scoring])
        let diags = Fixture.failures(dir)
        expectError(diags, at: place(of: "person_from:", onLineWith: "person_from:", in: scoring, file: "\(dir)/scoring.yaml"),
                    ["unknown field 'respondent_persn'", "did you mean 'respondent_person'?"])
    }

    @Test func personFromAPersonTypedPackFieldLoads() throws {
        let classify = good("classify.yaml").replacingOccurrences(of: "  - {id: answer_text, name: 答复, type: text}",
                                                                 with: "  - {id: answer_text, name: 答复, type: text}\n  - {id: witness, name: 见证人, type: person}")
        let scoring = good("scoring.yaml").replacingOccurrences(of: "person_from: respondent_person", with: "person_from: witness")
        let dir = try Fixture.write(["classify.yaml": classify, "scoring.yaml": scoring])
        let pack = try RulePackLoader().load(directory: dir).pack
        #expect(pack.fields.first { $0.id == "witness" }?.type == .person)
        #expect(pack.allowedValues(of: "witness") == pack.people.map(\.id))
    }

    @Test func allowLateIsReadFromTheExtensionBlock() throws {
        let clocks = good("clocks.yaml").replacingOccurrences(of: "  max_working_days: 2\n", with: "  max_working_days: 2\n      allow_late: true\n")
        #expect(clocks != good("clocks.yaml"))
        let dir = try Fixture.write(["clocks.yaml": clocks])
        let pack = try RulePackLoader().load(directory: dir).pack
        #expect(pack.clock("answer_clock")?.extensionRule?.allowLate == true)
        #expect(pack.clock("dispatch_clock")?.extensionRule?.allowLate == false)
    }
}

import Foundation
import KesuKernel
import KesuYAML
import Testing

@Suite struct GoodPackTests {
    @Test func loadsEverySection() throws {
        let dir = try Fixture.write()
        let loaded = try RulePackLoader().load(directory: dir)
        let pack = loaded.pack
        #expect(loaded.warnings.isEmpty, "\(loaded.warnings)")
        let root = String(dir.dropLast("/pack".count))
        let names = ["pack.yaml", "classify.yaml", "clocks.yaml", "org.yaml", "procedure.yaml", "routing.yaml", "scoring.yaml"]
        let expectedFiles: [String] = names.map { dir + "/" + $0 } + [root + "/calendars/cal.yaml"]
        #expect(loaded.files == expectedFiles)

        // pack
        #expect(pack.info.id == "test-pack")
        #expect(pack.info.label == "2026.1")
        #expect(pack.info.caseNumberPrefix == "YC")
        #expect(pack.info.caseNumberGaps == .gapless, "gapless unless the pack says")
        #expect(pack.info.location.description == "\(dir)/pack.yaml:2:3")

        // calendar
        #expect(pack.calendar.timeZone == "Asia/Shanghai")
        #expect(pack.calendar.businessHours == [MinuteRange(start: 510, end: 720), MinuteRange(start: 870, end: 1080)])
        #expect(pack.calendar.weekend == [6, 7])
        #expect(pack.calendar.holidays.map(\.date.description) == ["2026-10-01", "2026-10-02", "2026-12-31"])
        #expect(pack.calendar.holidays[0].label == "国庆节")
        #expect(pack.calendar.holidays[0].name == "national_day")
        #expect(pack.calendar.holidays[0].location.description == "\(root)/calendars/cal.yaml:3:5")
        #expect(pack.calendar.holidays[2].label == "年终盘点")
        #expect(pack.calendar.workdays.map(\.date) == [LocalDate(year: 2026, month: 10, day: 10)])

        // organisation
        #expect(pack.roles.map(\.id) == ["clerk", "liaison", "unit_head", "leader", "auditor"])
        #expect(pack.roles[1].scope == .handlingUnit)
        #expect(pack.roles[4].readOnly)
        #expect(pack.roles[0].location.description == "\(dir)/org.yaml:2:5")
        #expect(pack.centerUnit?.id == "enterprise_mgmt")
        #expect(pack.units[1].liaison == "sun" && pack.units[1].head == "li")
        #expect(pack.person("zhao")?.roles == ["clerk", "liaison"])

        // classification
        #expect(pack.kinds.map(\.id) == ["complaint", "inquiry"])
        #expect(pack.categories[0].keywords == ["许可证", "办证"])
        #expect(pack.categories[0].location.description == "\(dir)/classify.yaml:8:5")
        #expect(pack.regions[0].unit == "county_a_bureau")
        #expect(pack.complainantTypes.map(\.id) == ["retailer"])
        #expect(pack.channels.map(\.name) == ["电话"])
        #expect(pack.fields.map(\.type) == [.boolean, .choice, .choice, .text])
        #expect(pack.allowedValues(of: "fault") == ["ours", "customer"])

        // routing and conditions
        #expect(pack.routing.count == 2)
        #expect(pack.routing[0].target == .regionUnit)
        #expect(pack.routing[0].when == [
            FieldCondition(field: "category", test: .oneOf(["license"]),
                           location: SourceLocation(file: dir + "/routing.yaml", line: 4, column: 12)),
            FieldCondition(field: "region", test: .missing(false),
                           location: SourceLocation(file: dir + "/routing.yaml", line: 4, column: 43)),
        ])
        #expect(pack.routing[1].target == .unit("enterprise_mgmt"))
        #expect(pack.routing[1].isFallback)

        // procedure
        let proc = pack.procedure
        #expect(proc.initialState == "registered")
        #expect(proc.states.filter(\.isFinal).map(\.id) == ["closed"])
        #expect(proc.intake.roles == ["clerk"] && proc.intake.route)
        #expect(proc.intake.requires == ["channel", "kind", "description"])
        let dispatch = try #require(pack.transition("dispatch"))
        #expect(dispatch.to.map(\.state) == ["handling"] && dispatch.to[0].when.isEmpty && dispatch.route)
        #expect(pack.transition("answer")?.assignActor == true)
        let callback = try #require(pack.transition("callback"))
        #expect(callback.when.map(\.test) == [.equals("complaint")])
        #expect(callback.to.count == 2)
        #expect(callback.to[0].state == "handling")
        #expect(callback.to[0].when.map(\.test) == [.equals("unsatisfied")])
        #expect(callback.to[0].outcomes == ["unsatisfied_callback"])
        #expect(callback.to[0].location.description == "\(dir)/procedure.yaml:35:11")
        #expect(callback.to[1].state == "closed" && callback.to[1].when.isEmpty)
        #expect(pack.transition("close_inquiry")?.when.map(\.test) == [.equals("inquiry"), .notOneOf(["major"])])

        // clocks
        let answer = try #require(pack.clock("answer_clock"))
        #expect(answer.length == .workingDays(3, .endOfDay))
        #expect(answer.start == ["dispatch"] && answer.stop == ["answer"])
        #expect(answer.violation == "late_answer" && answer.ladder == "answer_ladder")
        #expect(answer.extensionRule?.approvers == ["unit_head"])
        #expect(answer.extensionRule?.maxCount == 1)
        #expect(answer.extensionRule?.maxLength == .workingDays(2, .endOfDay))
        let cb = try #require(pack.clock("callback_clock"))
        #expect(cb.length == .workingDays(2, .sameTime))
        #expect(cb.owner == .center && cb.responsible == .intakeActor)
        #expect(cb.when.map(\.field) == ["kind"])
        let dc = try #require(pack.clock("dispatch_clock"))
        #expect(dc.length == .workingMinutes(120))
        #expect(dc.start == ["intake"])
        #expect(dc.extensionRule?.maxCount == 2 && dc.extensionRule?.maxLength == .workingMinutes(180))
        #expect(pack.clock("quick_clock")?.length == .workingMinutes(90))

        // ladders
        let ladder = try #require(pack.ladder("answer_ladder"))
        #expect(ladder.steps.map(\.at) == [.share(0.5), .share(1.0), .afterDue(minutes: 480), .afterDue(minutes: 600)])
        #expect(ladder.steps[1].remind == ["unit_head", "liaison"])
        #expect(ladder.steps[2].escalateTo == ["leader"] && ladder.steps[2].violation == "stalling")

        // scoring
        let scoring = pack.scoring
        #expect(scoring.baseline == 100)
        #expect(scoring.violations.map(\.id) == ["late_answer", "stalling"])
        #expect(scoring.outcomes.map(\.id) == ["unsatisfied_callback"])
        #expect(scoring.rules.map(\.on) == [.violation("late_answer"), .outcome("unsatisfied_callback"), .violation("stalling")])
        #expect(scoring.rules[0].unitPoints == 1 && scoring.rules[0].personPoints == 1 && scoring.rules[0].person == .responsible)
        #expect(scoring.rules[1].person == .field("respondent_person"))
        #expect(scoring.rules[1].when.map(\.test) == [.equals("major"), .equals("ours")])
        #expect(scoring.rules[2].unitPoints == 2.5 && scoring.rules[2].personPoints == 0)
        #expect(scoring.penalties.map(\.id) == ["verbal_warning", "written_warning"])
        #expect(scoring.thresholds[1].subject == .unit && scoring.thresholds[1].period == .year)
        #expect(scoring.thresholds[0].points == 3 && scoring.thresholds[0].penalty == "verbal_warning")
        let procedure = try #require(scoring.penaltyProcedure)
        #expect(procedure.decidedBy == ["leader"])
        #expect(procedure.appeal?.by == [PenaltyAppealRule.personConcerned, "unit_head"])
        #expect(procedure.appeal?.withinWorkingDays == 5 && procedure.appeal?.decidedBy == ["leader"])

        // version: hex SHA-256
        #expect(pack.version.count == 64 && pack.version.allSatisfy(\.isHexDigit))
        #expect(pack.validate().filter { $0.severity == .error }.isEmpty)
    }

    @Test func versionIsStableAndFollowsEveryByte() throws {
        let dir = try Fixture.write()
        let v1 = try RulePackLoader().load(directory: dir).pack.version
        let v2 = try RulePackLoader().load(directory: dir).pack.version
        #expect(v1 == v2)

        // Same content in another folder: the version depends on content and relative paths only.
        let other = try Fixture.write()
        #expect(try RulePackLoader().load(directory: other).pack.version == v1)

        // One byte in a pack file.
        let text = Fixture.good["routing.yaml"]!.replacingOccurrences(of: "其他", with: "其它")
        try text.write(toFile: dir + "/routing.yaml", atomically: true, encoding: .utf8)
        let v3 = try RulePackLoader().load(directory: dir).pack.version
        #expect(v3 != v1)

        // One byte in an included calendar.
        let cal = Fixture.calendar.replacingOccurrences(of: "region: CN", with: "region: CX")
        let dir2 = try Fixture.write(calendar: cal)
        #expect(try RulePackLoader().load(directory: dir2).pack.version != v1)
    }

    @Test func versionIsTheDocumentedHash() throws {
        let dir = try Fixture.write()
        let pack = try RulePackLoader().load(directory: dir).pack
        var input: [(String, String)] = Fixture.good.map { ($0.key, $0.value) }
        input.append(("../calendars/cal.yaml", Fixture.calendar))
        var bytes: [UInt8] = []
        for (path, text) in input.sorted(by: { $0.0 < $1.0 }) {
            bytes += Array(path.utf8) + [0] + Array(text.utf8)
        }
        #expect(pack.version == SHA256.hex(bytes))
    }
}

import Foundation
import KesuKernel
import KesuYAML
import Testing

/// The validator's warnings (PackLint.swift, docs/rule-packs.md "Warnings"): each on a small bad pack at its exact
/// place, and none on the shipped packs.
@Suite struct PackLintTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func good(_ file: String) -> String { Fixture.good[file]! }

    /// Loads a pack that must load, and returns its warnings.
    func warnings(_ dir: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [Diagnostic] {
        do {
            let loaded = try RulePackLoader().load(directory: dir)
            #expect(loaded.warnings.allSatisfy { $0.severity == .warning }, sourceLocation: sourceLocation)
            return loaded.warnings
        } catch {
            Issue.record("expected the pack to load: \(error)", sourceLocation: sourceLocation)
            return []
        }
    }

    func expectWarning(
        _ diagnostics: [Diagnostic], at place: String, _ words: [String],
        sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) {
        let hit = diagnostics.contains { d in
            d.severity == .warning && d.location.description == place && words.allSatisfy { d.message.contains($0) }
        }
        #expect(hit, "no warning at \(place) containing \(words); got:\n\(diagnostics.map(\.description).joined(separator: "\n"))",
                sourceLocation: sourceLocation)
    }

    // MARK: 1. shadowed routes

    @Test func routeShadowedByABroaderEarlierRoute() throws {
        let dir = try Fixture.write(["routing.yaml": """
            routing:
              - id: R1-license-or-service
                when: {category: {one_of: [license, service]}}
                unit: county_a_bureau
              - id: R2-license-county
                when: {category: license, region: {missing: false}}
                unit_from: region
              - id: R9-fallback
                unit: enterprise_mgmt

            """])
        let w = warnings(dir)
        expectWarning(w, at: "\(dir)/routing.yaml:5:5", [
            "route 'R2-license-county' can never match: route 'R1-license-or-service' (line 2) comes first and matches every "
                + "case R2-license-county would; move R2-license-county above it or narrow R1-license-or-service",
        ])
        #expect(w.count == 1, "\(w)")
    }

    @Test func regionUnitRouteWinsOnlyWhenTheRegionIsSureToNameAUnit() throws {
        let dir = try Fixture.write(["routing.yaml": """
            routing:
              - id: R1-license
                when: {category: license, region: {missing: false}}
                unit_from: region
              - id: R2-license
                when: {category: license}
                unit: enterprise_mgmt
              - id: R3-license-county-a
                when: {category: license, region: county_a}
                unit: county_a_bureau
              - id: R9-fallback
                unit: enterprise_mgmt

            """])
        let w = warnings(dir)
        // R2 still gets the license cases without a region; R3's cases all have county_a, which names a unit.
        expectWarning(w, at: "\(dir)/routing.yaml:8:5", ["route 'R3-license-county-a' can never match", "route 'R1-license' (line 2)"])
        #expect(w.count == 1, "\(w)")
    }

    @Test func conditionEveryAllowedValueMeetsShadowsTheRest() throws {
        // `kind` is required at intake and both kinds are listed: R0 matches every case.
        let dir = try Fixture.write(["routing.yaml": """
            routing:
              - id: R0-every-kind
                when: {kind: {one_of: [complaint, inquiry]}}
                unit: enterprise_mgmt
              - id: R1-license
                when: {category: {one_of: [license]}, region: {missing: false}}
                unit_from: region
              - id: R9-fallback
                unit: enterprise_mgmt

            """])
        let w = warnings(dir)
        expectWarning(w, at: "\(dir)/routing.yaml:5:5", ["route 'R1-license' can never match: route 'R0-every-kind' (line 2)"])
        expectWarning(w, at: "\(dir)/routing.yaml:8:5", ["route 'R9-fallback' can never match: route 'R0-every-kind' (line 2)"])
        #expect(w.count == 2, "\(w)")
    }

    @Test func routeWhoseConditionsContradictEachOther() throws {
        let dir = try Fixture.write(["routing.yaml": """
            routing:
              - id: R1-nothing
                when: {category: license, region: {missing: true}, level: {one_of: []}}
                unit: county_a_bureau
              - id: R9-fallback
                unit: enterprise_mgmt

            """])
        let w = warnings(dir)
        expectWarning(w, at: "\(dir)/routing.yaml:2:5", ["route 'R1-nothing' can never match: no value of 'level' meets all its conditions"])
        #expect(w.count == 1, "\(w)")
    }

    // MARK: 2. unreachable states

    @Test func stateNothingLeadsTo() throws {
        let dir = try Fixture.write(["procedure.yaml": good("procedure.yaml")
            .replacingOccurrences(of: "    - {id: closed,", with: "    - {id: parked, name: 搁置}\n    - {id: closed,")
            + """
                - id: unpark
                  name: 恢复办理
                  from: [parked]
                  roles: [clerk]
                  to: handling

            """])
        let w = warnings(dir)
        expectWarning(w, at: "\(dir)/procedure.yaml:7:7", [
            "state 'parked' is never reached: no transition leads to it from intake; add a transition or remove the state",
        ])
        #expect(w.count == 1, "\(w)")
    }

    // MARK: 3. clocks only the close stops

    @Test func clocksThatOnlyClosingStops() throws {
        let dir = try Fixture.write(["clocks.yaml": """
            clocks:
              - id: answer_clock
                working_days: 3
                start: [dispatch]
                stop: [answer]
              - id: late_clock
                working_hours: 4
                start: [answer]
                stop: [dispatch]
              - id: closing_clock
                working_hours: 4
                start: [close_inquiry]
                stop: [callback]
              - id: paused_clock
                working_hours: 4
                start: [intake]
                stop: [dispatch]
                pause: [answer]
                resume: [dispatch]
            ladders:
              - id: answer_ladder
                steps:
                  - {at: {share: 0.5}, remind: [liaison]}

            """])
        let w = warnings(dir)
        expectWarning(w, at: "\(dir)/clocks.yaml:6:5", [
            "clock 'late_clock' started by 'answer' is stopped only by closing the case: none of its stops (dispatch) can be taken after 'answer'",
        ])
        expectWarning(w, at: "\(dir)/clocks.yaml:10:5", [
            "clock 'closing_clock' starts on 'close_inquiry', which closes the case, so it stops the moment it starts",
        ])
        expectWarning(w, at: "\(dir)/clocks.yaml:14:5", [
            "clock 'paused_clock' paused by 'answer' stays paused until the case closes", "`resume:`",
        ])
        #expect(w.count == 3, "\(w)")
    }

    // MARK: 4. ladder steps

    @Test func ladderStepsOutOfOrder() throws {
        let dir = try Fixture.write(["clocks.yaml": good("clocks.yaml").replacingOccurrences(
            of: "      - {at: {share: 0.5}, remind: [liaison]}\n      - {at: {share: 1.0}, remind: [unit_head, liaison]}\n",
            with: "      - {at: {share: 1.0}, remind: [unit_head, liaison]}\n      - {at: {share: 0.5}, remind: [liaison]}\n")
            .replacingOccurrences(of: "working_minutes_after_due: 600", with: "working_minutes_after_due: 30")])
        let w = warnings(dir)
        expectWarning(w, at: "\(dir)/clocks.yaml:38:9", [
            "ladder 'answer_ladder': step 2 (at share 0.5) always fires before step 1 (at the due time, line 37), which is "
                + "listed above it; list the steps in the order they fire",
        ])
        expectWarning(w, at: "\(dir)/clocks.yaml:40:9", [
            "step 4 (30 working minute(s) after due) always fires before step 3 (8 working hour(s) after due, line 39)",
        ])
        #expect(w.count == 2, "\(w)")
    }

    static let overallClock = """
          - id: overall
            name: 办结总时限
            working_days: 2
            start: [intake]
            stop: [close_inquiry]

        """

    @Test func ladderStepAfterTheCaseMustBeClosed() throws {
        // A 2-working-day clock from intake that only closing stops: the case is due closed within
        // 3 × 7 h = 21 business hours at the latest; answer_clock runs at least 3 × 7 h from dispatch.
        let dir = try Fixture.write(["clocks.yaml": good("clocks.yaml")
            .replacingOccurrences(of: "ladders:\n", with: Self.overallClock + "ladders:\n")])
        let w = warnings(dir)
        expectWarning(w, at: "\(dir)/clocks.yaml:44:9", [
            "ladder 'answer_ladder': step 3 (8 working hour(s) after due of clock 'answer_clock') fires 29 working hour(s) after "
                + "intake at the earliest, but clock 'overall' (line 34) has the case closed within 21 working hour(s), "
                + "extensions included: the step can only fire on a case already overdue; fire it earlier or drop it",
        ])
        expectWarning(w, at: "\(dir)/clocks.yaml:45:9", ["step 4 (10 working hour(s) after due of clock 'answer_clock') fires 31 working hour(s)"])
        #expect(w.count == 2, "\(w)")
    }

    @Test func extensionsOfTheCaseDeadlineCountBeforeWarning() throws {
        let overall = Self.overallClock.replacingOccurrences(
            of: "stop: [close_inquiry]\n", with: "stop: [close_inquiry]\n    extension: {approvers: [leader], max_working_days: 2}\n")
        let dir = try Fixture.write(["clocks.yaml": good("clocks.yaml").replacingOccurrences(of: "ladders:\n", with: overall + "ladders:\n")])
        #expect(warnings(dir).isEmpty)
    }

    // MARK: none on the shipped packs

    @Test(arguments: ["tobacco-prefecture", "online-service", "after-sales", "county-example"])
    func shippedPackHasNoWarnings(_ name: String) throws {
        let loaded = try RulePackLoader().load(directory: Self.repoRoot.appendingPathComponent("rules/\(name)").path)
        #expect(loaded.warnings.isEmpty, "\(loaded.warnings.map(\.description).joined(separator: "\n"))")
    }

    // MARK: 5. calendar coverage

    @Test func calendarEndingIn2026DoesNotCoverTheNextTwelveMonthsFromNovember2026() throws {
        let dir = try Fixture.write()
        let pack = try RulePackLoader().load(directory: dir).pack
        let late = pack.calendarCoverage(now: try #require(ISO8601.parse("2026-11-29T10:00:00+08:00")))
        #expect(late.map(\.description) == [
            "\(dir)/pack.yaml:7:3: warning: calendar has holidays only up to 2026; the next 12 months run to 2027-11-29 — "
                + "add 2027's holidays and 调休 working days (the State Council's notice is usually published in November) before then: "
                + "`kesu calendar import NOTICE.txt`, or `kesu calendar draft YEAR` for a provisional calendar meanwhile",
        ])
        #expect(pack.calendarCoverage(now: try #require(ISO8601.parse("2025-06-01T10:00:00+08:00"))).isEmpty)
        // The year is read in the calendar's zone: 2025-12-31T16:30Z is already 2026-01-01 in Shanghai.
        #expect(pack.calendarCoverage(now: try #require(ISO8601.parse("2025-12-31T16:30:00Z"))).map(\.location.line) == [7])
        // Two years missing.
        let later = pack.calendarCoverage(now: try #require(ISO8601.parse("2027-03-01T10:00:00+08:00")))
        #expect(later.first?.message.contains("up to 2026; the next 12 months run to 2028-03-01 — add 2027–2028's holidays") == true)
    }

    @Test func calendarWithNoHolidays() throws {
        var pack = try RulePackLoader().load(directory: try Fixture.write()).pack
        pack.calendar.holidays = []
        let w = pack.calendarCoverage(now: try #require(ISO8601.parse("2025-06-01T10:00:00+08:00")))
        #expect(w.count == 1 && w[0].severity == .warning && w[0].message.hasPrefix("calendar has no holidays"))
    }

    @Test func shippedCalendarIsADraftFor2027() throws {
        let pack = try RulePackLoader().load(directory: Self.repoRoot.appendingPathComponent("rules/tobacco-prefecture").path).pack
        #expect(pack.calendarCoverage(now: try #require(ISO8601.parse("2025-11-29T10:00:00+08:00"))).isEmpty)
        // 2027 comes from `kesu calendar draft 2027`: said once, as provisional, not as missing.
        let now = pack.calendarCoverage(now: try #require(ISO8601.parse("2026-12-07T10:00:00+08:00")))
        #expect(now.count == 1)
        #expect(now.first?.message.hasPrefix("2027's holidays come from a draft (provisional") == true)
        // A year later 2028 is missing as well.
        let later = pack.calendarCoverage(now: try #require(ISO8601.parse("2027-11-29T10:00:00+08:00"))).map(\.message)
        #expect(later.count == 2)
        #expect(later.first?.contains("up to 2027; the next 12 months run to 2028-11-29 — add 2028's holidays") == true)
    }
}

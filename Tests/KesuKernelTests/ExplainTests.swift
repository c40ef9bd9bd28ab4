import Foundation
import KesuKernel
import KesuRendering
import KesuTestSupport
import Testing

// `kesu rules explain` in the kernel: the day-by-day walk to a due time (which must agree with
// BusinessCalendar.due), routing reasons, and a stored case's clock runs with pauses and extensions.

// MARK: Fixtures

private func at(_ s: String) -> Date { TestPack.at(s) }

private func day(_ s: String) -> LocalDate {
    guard let d = LocalDate(s) else { fatalError("bad date in test: \(s)") }
    return d
}

/// Mainland China 2026 as rules/calendars/cn-2024-2026.yaml has it, business hours 08:30–12:00, 14:30–18:00.
private func cn2026(timeZone: String = "Asia/Shanghai") throws -> BusinessCalendar {
    let blocks: [(String, String, [String])] = [
        ("new_years_day", "元旦", ["2026-01-01", "2026-01-02", "2026-01-03"]),
        ("spring_festival", "春节", (15...23).map { String(format: "2026-02-%02d", $0) }),
        ("tomb_sweeping_day", "清明节", ["2026-04-04", "2026-04-05", "2026-04-06"]),
        ("labour_day", "劳动节", (1...5).map { String(format: "2026-05-%02d", $0) }),
        ("dragon_boat_festival", "端午节", ["2026-06-19", "2026-06-20", "2026-06-21"]),
        ("mid_autumn_festival", "中秋节", ["2026-09-25", "2026-09-26", "2026-09-27"]),
        ("national_day", "国庆节", (1...7).map { String(format: "2026-10-%02d", $0) }),
    ]
    let holidays = blocks.flatMap { name, label, dates in dates.map { DatedDay(date: day($0), name: name, label: label) } }
    let workdays = [
        ("2026-01-04", "new_years_day", "元旦"), ("2026-02-14", "spring_festival", "春节"),
        ("2026-02-28", "spring_festival", "春节"), ("2026-05-09", "labour_day", "劳动节"),
        ("2026-09-20", "national_day", "国庆节"), ("2026-10-10", "national_day", "国庆节"),
    ].map { DatedDay(date: day($0.0), name: $0.1, label: $0.2) }
    return try BusinessCalendar(CalendarRules(
        timeZone: timeZone, businessHours: [MinuteRange((8, 30), (12, 0)), MinuteRange((14, 30), (18, 0))],
        weekend: [6, 7], holidays: holidays, workdays: workdays))
}

/// A small deterministic generator (SplitMix64), so a failing start can be reproduced.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `2026-10-01 Thursday: holiday 国庆节 (national_day)` lines of a walk.
private func lines(_ walk: DueExplanation, _ cal: BusinessCalendar, pack: RulePack = TestPack.make()) -> [String] {
    ExplanationText(pack: pack, zone: cal.timeZone).dayLines(walk)
}

// MARK: The walk agrees with the calendar

@Suite struct DueExplanationAgreesWithCalendarTests {
    /// Random starts over the 2026 Spring Festival (调休 Saturdays 02-14 and 02-28) and over
    /// 中秋/国庆 (调休 Sunday 09-20, Saturday 10-10), at any minute of the day and sometimes
    /// with seconds, for every kind of length.
    @Test func explainedDueEqualsDueForRandomStarts() throws {
        let cal = try cn2026()
        var rng = SplitMix(state: 20_261_001)
        let windows = [(at("2026-01-25T00:00"), at("2026-03-08T00:00")), (at("2026-09-12T00:00"), at("2026-10-20T00:00"))]
        var checked = 0
        for i in 0..<3_000 {
            let (lo, hi) = windows[i % 2]
            var start = lo.addingTimeInterval(Double(Int.random(in: 0..<Int(hi.timeIntervalSince(lo) / 60), using: &rng)) * 60)
            if i % 7 == 0 { start.addTimeInterval(Double(Int.random(in: 1..<60, using: &rng))) }
            let lengths: [ClockLength] = [
                .workingDays(Int.random(in: 1...10, using: &rng), .endOfDay),
                .workingDays(Int.random(in: 1...10, using: &rng), .sameTime),
                .workingMinutes([1, 90, 210, 240, 420, 421, 2_940][i % 7]),
                .workingMinutes(Int.random(in: 1...6_000, using: &rng)),
            ]
            for length in lengths {
                let walk = try cal.explainDue(from: start, length: length)
                let due = try cal.due(from: start, length: length)
                #expect(walk.due == due, "start \(ISO8601.format(start, in: cal.timeZone)), \(length)")
                #expect(walk.days.first?.date == cal.localDate(of: start))
                #expect(walk.days.last?.date == cal.localDate(of: due))
                #expect(walk.days.last?.isDueDay == true)
                // Consecutive days, none missing.
                for (a, b) in zip(walk.days, walk.days.dropFirst()) { #expect(cal.nextDay(a.date) == b.date) }
                if case let .workingDays(n, _) = length {
                    #expect(walk.counted.count == n)
                    #expect(walk.counted.map(\.ordinal) == (1...n).map { $0 })
                }
                if case let .workingMinutes(m) = length {
                    let used = walk.counted.compactMap(\.businessSeconds).reduce(0, +)
                    #expect(abs(used - Double(m) * 60) < 0.001)
                }
                for d in walk.days {
                    #expect(d.kind == cal.dayKind(d.date))
                    if d.role == .skipped { #expect(!d.kind.isWorking) }
                    if d.role == .counted { #expect(d.kind.isWorking) }
                }
                checked += 1
            }
            let seconds = Double(Int.random(in: 0...200_000, using: &rng)) + (i % 5 == 0 ? 0.5 : 0)
            #expect(try cal.explainAdding(businessSeconds: seconds, to: start).due == cal.adding(businessSeconds: seconds, to: start))
        }
        #expect(checked == 12_000)
    }

    /// The walk builds instants from local dates as the calendar does, so it agrees across
    /// daylight-saving changes too (Europe/Berlin, 2026-03-29 and 2026-10-25).
    @Test(arguments: ["Europe/Berlin", "America/New_York"])
    func explainedDueEqualsDueAcrossDaylightSaving(_ zone: String) throws {
        let cal = try cn2026(timeZone: zone)
        var rng = SplitMix(state: 7)
        let windows = [(at("2026-03-01T00:00"), at("2026-04-10T00:00")), (at("2026-10-15T00:00"), at("2026-11-15T00:00"))]
        for i in 0..<600 {
            let (lo, hi) = windows[i % 2]
            let start = lo.addingTimeInterval(Double(Int.random(in: 0..<Int(hi.timeIntervalSince(lo) / 60), using: &rng)) * 60)
            for length: ClockLength in [.workingDays(Int.random(in: 1...8, using: &rng), .endOfDay),
                                        .workingDays(Int.random(in: 1...8, using: &rng), .sameTime),
                                        .workingMinutes(Int.random(in: 1...4_000, using: &rng))] {
                #expect(try cal.explainDue(from: start, length: length).due == cal.due(from: start, length: length),
                        "start \(ISO8601.format(start, in: cal.timeZone)), \(length)")
            }
        }
    }

    @Test func refusesWhatDueRefuses() throws {
        let cal = try cn2026()
        #expect(throws: CalendarError.self) { try cal.explainDue(from: at("2026-09-30T10:00"), length: .workingDays(0, .endOfDay)) }
        #expect(throws: CalendarError.self) { try cal.explainDue(from: at("2026-09-30T10:00"), length: .workingMinutes(0)) }
        #expect(throws: CalendarError.self) { try cal.explainAdding(businessSeconds: -1, to: at("2026-09-30T10:00")) }
    }
}

// MARK: Exact days across 中秋 and 国庆 2026

@Suite struct DueExplanationDaysTests {
    /// Started Wed 2026-09-30 10:00, 5 working days to the end of the day: the start day is not
    /// counted, 国庆节 10-01…10-07 are skipped (its weekend days as holidays), the 调休 Saturday
    /// 10-10 counts, Sunday 10-11 is a plain weekend.
    @Test func fiveWorkingDaysFromSeptember30() throws {
        let cal = try cn2026()
        let walk = try cal.explainDue(from: at("2026-09-30T10:00"), length: .workingDays(5, .endOfDay))
        #expect(walk.due == at("2026-10-13T18:00"))
        #expect(walk.due == (try cal.due(from: at("2026-09-30T10:00"), length: .workingDays(5, .endOfDay))))
        #expect(walk.skipped.map(\.date.description) == (1...7).map { String(format: "2026-10-%02d", $0) } + ["2026-10-11"])
        #expect(walk.skipped.dropLast().allSatisfy { $0.kind == .holiday(name: "national_day", label: "国庆节") })
        #expect(walk.skipped.last?.kind == .weekend)
        #expect(walk.counted.map(\.date.description) == ["2026-10-08", "2026-10-09", "2026-10-10", "2026-10-12", "2026-10-13"])
        #expect(walk.days.first { $0.date == day("2026-10-10") }?.kind == .adjustedWorkday(name: "national_day", label: "国庆节"))
        #expect(walk.days.first?.role == .start)
        #expect(abs((walk.days.first?.leftThatDay ?? 0) - 5.5 * 3600) < 0.001)   // 10:00–12:00 and 14:30–18:00
        #expect(lines(walk, cal) == [
            "2026-09-30 Wednesday: working day; start day, not counted — started 10:00, 5 h 30 min of business time left that day",
            "2026-10-01 Thursday: holiday 国庆节 (national_day)",
            "2026-10-02 Friday: holiday 国庆节 (national_day)",
            "2026-10-03 Saturday: holiday 国庆节 (national_day)",
            "2026-10-04 Sunday: holiday 国庆节 (national_day)",
            "2026-10-05 Monday: holiday 国庆节 (national_day)",
            "2026-10-06 Tuesday: holiday 国庆节 (national_day)",
            "2026-10-07 Wednesday: holiday 国庆节 (national_day)",
            "2026-10-08 Thursday: working day, counted (1 of 5)",
            "2026-10-09 Friday: working day, counted (2 of 5)",
            "2026-10-10 Saturday: 调休 working day (国庆节), counted (3 of 5)",
            "2026-10-11 Sunday: weekend",
            "2026-10-12 Monday: working day, counted (4 of 5)",
            "2026-10-13 Tuesday: working day, counted (5 of 5) — due 18:00",
        ])
    }

    /// 240 working minutes from 16:20 on 09-30: 1 h 40 min that day, then 2 h 20 min on 10-08.
    @Test func workingMinutesAcrossNationalDay() throws {
        let cal = try cn2026()
        let walk = try cal.explainDue(from: at("2026-09-30T16:20"), length: .workingMinutes(240))
        #expect(walk.due == at("2026-10-08T10:50"))
        let first = try #require(walk.days.first)
        #expect(first.role == .counted)
        #expect(abs((first.leftThatDay ?? 0) - 100 * 60) < 0.001)
        #expect(first.spans == [BusinessSpan(from: at("2026-09-30T16:20"), until: at("2026-09-30T18:00"))])
        #expect(walk.skipped.count == 7)
        #expect(walk.days.last?.spans == [BusinessSpan(from: at("2026-10-08T08:30"), until: at("2026-10-08T10:50"))])
        #expect(lines(walk, cal).first == "2026-09-30 Wednesday: working day, started 16:20, 1 h 40 min left that day, counted 16:20–18:00 (1 h 40 min)")
        #expect(lines(walk, cal).last == "2026-10-08 Thursday: working day, counted 08:30–10:50 (2 h 20 min) — due 10:50")
    }

    /// A same-time clock received on a holiday counts from the next opening; the received day
    /// and the rest of the holiday are listed.
    @Test func sameTimeReceivedOnAHoliday() throws {
        let cal = try cn2026()
        let walk = try cal.explainDue(from: at("2026-10-03T10:00"), length: .workingDays(2, .sameTime))
        #expect(walk.countFrom == at("2026-10-08T08:30"))
        #expect(walk.due == at("2026-10-10T08:30"))
        #expect(walk.days.map(\.role) == [.received, .skipped, .skipped, .skipped, .skipped, .start, .counted, .counted])
        #expect(lines(walk, cal).first == "2026-10-03 Saturday: holiday 国庆节 (national_day) — received 10:00, counting starts at the next opening 2026-10-08T08:30:00+08:00")
        #expect(lines(walk, cal).last == "2026-10-10 Saturday: 调休 working day (国庆节), counted (2 of 2) — due 08:30")
    }

    /// 中秋节 2026 is Fri 09-25 … Sun 09-27; the Sunday before, 09-20, is a 调休 working day.
    @Test func midAutumnAndTheAdjustedSundayBeforeIt() throws {
        let cal = try cn2026()
        let walk = try cal.explainDue(from: at("2026-09-18T15:00"), length: .workingDays(6, .endOfDay))
        #expect(walk.due == at("2026-09-28T18:00"))
        #expect(lines(walk, cal) == [
            "2026-09-18 Friday: working day; start day, not counted — started 15:00, 3 h of business time left that day",
            "2026-09-19 Saturday: weekend",
            "2026-09-20 Sunday: 调休 working day (国庆节), counted (1 of 6)",
            "2026-09-21 Monday: working day, counted (2 of 6)",
            "2026-09-22 Tuesday: working day, counted (3 of 6)",
            "2026-09-23 Wednesday: working day, counted (4 of 6)",
            "2026-09-24 Thursday: working day, counted (5 of 6)",
            "2026-09-25 Friday: holiday 中秋节 (mid_autumn_festival)",
            "2026-09-26 Saturday: holiday 中秋节 (mid_autumn_festival)",
            "2026-09-27 Sunday: holiday 中秋节 (mid_autumn_festival)",
            "2026-09-28 Monday: working day, counted (6 of 6) — due 18:00",
        ])
    }

    /// Spring Festival: 调休 Saturday 02-14 counts, 02-15 … 02-23 are skipped.
    @Test func springFestival() throws {
        let cal = try cn2026()
        let walk = try cal.explainDue(from: at("2026-02-13T09:00"), length: .workingDays(2, .endOfDay))
        #expect(walk.due == at("2026-02-24T18:00"))
        #expect(walk.counted.map(\.date) == [day("2026-02-14"), day("2026-02-24")])
        #expect(walk.skipped.count == 9)
        #expect(walk.skipped.allSatisfy { $0.kind == .holiday(name: "spring_festival", label: "春节") })
    }
}

// MARK: Routing

@Suite struct RoutingExplanationTests {
    let explainer = try! Explainer(pack: TestPack.make())

    @Test func earlierRulesSayWhyTheyDidNotMatch() {
        let r = explainer.routing(["category": "delivery", "kind": "complaint"])
        #expect(r.matched?.id == "R3")
        #expect(r.unit == "unit_b")
        #expect(r.skipped.map(\.id) == ["R1", "R2"])
        #expect(r.skipped[0].reasons == ["category is 'delivery', not one of [license]", "region is missing"])
        #expect(r.skipped[1].reasons == ["category is 'delivery', not 'service'"])
    }

    @Test func aRegionWithoutAUnitFallsThrough() {
        let r = explainer.routing(["category": "license", "region": "city"])
        #expect(r.matched?.id == "R9")
        #expect(r.skipped.first?.reasons == ["region 'city' names no unit"])
        let text = ExplanationText(pack: TestPack.make(), zone: TestPack.zone).routingLines(r)
        #expect(text.contains("  R1: skipped — region 'city' names no unit"))
        #expect(text.contains("  R9: matched; handling unit center 中心"))
    }

    @Test func intakeFieldsExplainRouteAndTheClocksThatStart() throws {
        let x = try explainer.explain(fields: ["channel": "phone", "kind": "complaint", "category": "service"], at: at("2026-09-30T16:20"))
        #expect(x.caseNumber == nil)
        #expect(x.routing.matched?.id == "R2")
        #expect(x.routing.skipped.map(\.id) == ["R1"])
        #expect(x.clocks.map(\.run.clock) == ["first_look"])
        #expect(x.clocks.first?.dueAt == at("2026-10-08T10:50"))
        #expect(x.notStarted.map(\.clock) == ["answer", "callback"])
        #expect(x.notStarted.first?.reasons == ["starts on dispatch, redispatch, not at intake"])
        #expect(throws: KesuError.self) { try explainer.explain(fields: ["categry": "service"], at: at("2026-09-30T10:00")) }
        #expect(throws: KesuError.self) { try explainer.explain(fields: ["category": "servise"], at: at("2026-09-30T10:00")) }
    }

    @Test func aClockWhoseConditionFailsIsNotStartedWithItsReason() throws {
        var pack = TestPack.make()
        pack.clocks[2].when = [FieldCondition(field: "channel", test: .equals("letter"))]
        let x = try Explainer(pack: pack).explain(fields: ["channel": "phone", "kind": "complaint"], at: at("2026-09-30T10:00"))
        #expect(x.clocks.isEmpty)
        #expect(x.notStarted.first { $0.clock == "first_look" }?.reasons == ["channel is 'phone', not 'letter'"])
    }
}

// MARK: A stored case

@Suite struct CaseExplanationTests {
    /// TestPack with a pause: the handler waits for the customer (answer clock paused) and resumes.
    static func pausingPack() -> RulePack {
        var pack = TestPack.make()
        pack.procedure.transitions += [
            TransitionDef(id: "wait_customer", name: "等待客户", from: ["dispatched"], to: [GuardedTarget(state: "dispatched")], roles: ["handler"]),
            TransitionDef(id: "customer_back", name: "客户回复", from: ["dispatched"], to: [GuardedTarget(state: "dispatched")], roles: ["handler"]),
        ]
        let i = pack.clocks.firstIndex { $0.id == "answer" }!
        pack.clocks[i].pause = ["wait_customer"]
        pack.clocks[i].resume = ["customer_back"]
        return pack
    }

    @Test func pauseResumeAndExtensionAreExplained() async throws {
        let pack = Self.pausingPack()
        let store = MemoryStore()
        let e = try Engine(pack: pack, store: store)
        let c = try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "态度差", "category": "service"],
                                   by: "clerk1", at: at("2026-09-30T10:00")).state
        try await e.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-09-30T11:00"))
        try await e.act(c.number, transition: "wait_customer", by: "a_handler", at: at("2026-10-08T10:00"))
        try await e.act(c.number, transition: "customer_back", by: "a_handler", at: at("2026-10-12T09:00"))
        try await e.extend(c.number, clock: "answer", by: .workingDays(1, .endOfDay), reason: "等待现场核实", approver: "chief", at: at("2026-10-13T10:00"))
        try await e.act(c.number, transition: "answer", fields: ["result": "已处理"], by: "a_handler", at: at("2026-10-15T10:00"))
        try await e.act(c.number, transition: "approve", by: "a_head", at: at("2026-10-15T17:00"))

        let events = try await store.events(caseID: c.id)
        let x = try Explainer(pack: pack).explain(events: events, now: at("2026-10-16T09:00"))
        #expect(x.caseNumber == c.number)
        #expect(x.routing.recordedRule == "R2")
        #expect(x.routing.matched?.id == "R2")
        #expect(x.routing.differs == false)
        #expect(x.clocks.map(\.run.clock) == ["first_look", "answer", "callback"])

        let first = try #require(x.clocks.first)
        #expect(first.status == .stopped)
        #expect(first.late == false)
        #expect(first.stoppedAt == at("2026-09-30T11:00"))

        let answer = try #require(x.clocks.first { $0.run.clock == "answer" })
        #expect(answer.initial?.due == at("2026-10-10T18:00"))
        #expect(answer.recordedDue == at("2026-10-10T18:00"))
        #expect(answer.notes.isEmpty)
        // Paused Thu 10-08 10:00 with 5 h 30 min (10-08) + 7 h (10-09) + 7 h (调休 10-10) = 19 h 30 min kept.
        let pause = try #require(answer.pauses.first)
        #expect(pause.pausedAt == at("2026-10-08T10:00"))
        #expect(abs(pause.remaining - 19.5 * 3600) < 0.001)
        #expect(pause.resumedAt == at("2026-10-12T09:00"))
        // Resumed Mon 10-12 09:00: 6 h 30 min that day, 7 h on 10-13, 6 h on 10-14 → 17:00.
        #expect(pause.dueAt == at("2026-10-14T17:00"))
        #expect(pause.resume?.due == at("2026-10-14T17:00"))
        #expect(pause.resume?.days.map(\.date) == [day("2026-10-12"), day("2026-10-13"), day("2026-10-14")])
        #expect(pause.resume?.days.first?.spans == [
            BusinessSpan(from: at("2026-10-12T09:00"), until: at("2026-10-12T12:00")),
            BusinessSpan(from: at("2026-10-12T14:30"), until: at("2026-10-12T18:00")),
        ])
        // Extended by one working day from the resumed due time.
        let ext = try #require(answer.extensions.first)
        #expect(ext.approver == "chief")
        #expect(ext.reason == "等待现场核实")
        #expect(ext.oldDue == at("2026-10-14T17:00"))
        #expect(ext.newDue == at("2026-10-15T18:00"))
        #expect(ext.length == .workingDays(1, .endOfDay))
        #expect(ext.walk?.due == ext.newDue)
        #expect(answer.dueAt == at("2026-10-15T18:00"))
        #expect(answer.status == .stopped)
        #expect(answer.stoppedAt == at("2026-10-15T17:00"))
        #expect(answer.late == false)
        guard case .pause = answer.changes.first, case .extended = answer.changes.last else {
            Issue.record("changes out of order: \(answer.changes)")
            return
        }

        let callback = try #require(x.clocks.last)
        #expect(callback.status == .running)
        #expect(callback.overdue == false)

        let text = ExplanationText(pack: pack, zone: TestPack.zone).lines(x)
        #expect(text.contains("  R2: matched; handling unit unit_a 甲部门"))
        #expect(text.contains("  recorded: R2 → unit_a 甲部门 (the same as the current pack decides)"))
        #expect(text.contains("    2026-10-01 Thursday: holiday 国庆节 (national_day)"))
        #expect(text.contains("    paused 2026-10-08T10:00:00+08:00: 19 h 30 min of business time left, kept"))
        #expect(text.contains("      2026-10-12 Monday: working day, resumed 09:00, 6 h 30 min left that day, counted 09:00–12:00, 14:30–18:00 (6 h 30 min)"))
        #expect(text.contains("    extended 2026-10-13T10:00:00+08:00 by chief 主任, reason: 等待现场核实; due 2026-10-14T17:00:00+08:00 → 2026-10-15T18:00:00+08:00: +1 working day, due at end of day (18:00)"))
        #expect(text.contains("    final due 2026-10-15T18:00:00+08:00; stopped 2026-10-15T17:00:00+08:00 — on time"))
    }

    @Test func aLateStopAndAnOverdueRunAreSaid() async throws {
        let pack = TestPack.make()
        let store = MemoryStore()
        let e = try Engine(pack: pack, store: store)
        let c = try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "x", "category": "delivery"],
                                   by: "clerk1", at: at("2026-09-30T10:00")).state
        // first_look (4 working hours) is due 16:30; dispatch at 17:00 stops it late.
        try await e.act(c.number, transition: "dispatch", fields: ["category": "delivery"], by: "chief", at: at("2026-09-30T17:00"))
        let x = try Explainer(pack: pack).explain(events: try await store.events(caseID: c.id), now: at("2026-10-12T09:00"))
        let first = try #require(x.clocks.first { $0.run.clock == "first_look" })
        #expect(first.late == true)
        let answer = try #require(x.clocks.first { $0.run.clock == "answer" })
        #expect(answer.overdue == true)
        let text = ExplanationText(pack: pack, zone: TestPack.zone).lines(x)
        #expect(text.contains("    stopped 2026-09-30T17:00:00+08:00 — LATE (30 min after the due time)"))
        #expect(text.contains("    running — OVERDUE"))
    }

    /// The case was routed under an older pack; today's pack routes the same fields elsewhere.
    @Test func aRecordedRuleThatDiffersSaysThePackChanged() async throws {
        let old = TestPack.make()
        let store = MemoryStore()
        let e = try Engine(pack: old, store: store)
        let c = try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "x", "category": "service"],
                                   by: "clerk1", at: at("2026-09-30T10:00")).state
        var new = TestPack.make()
        new.version = "code-2"
        new.routing.remove(at: 1)   // no more R2: service falls back to the center
        let x = try Explainer(pack: new).explain(events: try await store.events(caseID: c.id), now: at("2026-09-30T11:00"))
        #expect(x.routing.recordedRule == "R2")
        #expect(x.routing.matched?.id == "R9")
        #expect(x.routing.differs)
        #expect(x.routing.packChanged)
        let text = ExplanationText(pack: new, zone: TestPack.zone).lines(x).joined(separator: "\n")
        #expect(text.contains("recorded: R2 → unit_a 甲部门 — DIFFERS from what the current pack decides: the pack changed since"))
    }

    /// A case keeps the rules it started under: explained under them (its clock walks agree
    /// with what it recorded), with where the pack in force would route it beside.
    @Test func aPinnedCaseIsExplainedUnderItsOwnRules() async throws {
        struct Shelf: PackResolver {
            var packs: [String: RulePack]
            func pack(version: String) async throws -> RulePack? { packs[version] }
        }
        var old = TestPack.make()
        old.version = "v-old"
        var new = TestPack.make()
        new.version = "v-new"
        new.routing.remove(at: 1)                                                           // service → the center now
        new.clocks[new.clocks.firstIndex { $0.id == "answer" }!].length = .workingDays(1, .endOfDay)
        let store = MemoryStore()
        let c = try await Engine(pack: old, store: store).intake(
            fields: ["channel": "phone", "kind": "complaint", "description": "x", "category": "service"], by: "clerk1", at: at("2026-10-12T09:00")).state
        let engine = try Engine(pack: new, store: store, resolver: Shelf(packs: ["v-old": old]))
        let s = try await engine.act(c.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-10-12T10:00"))
        let rules = try await engine.planner(for: s).pack
        #expect(rules.version == "v-old")

        let x = try Explainer(pack: rules).explain(events: try await store.events(caseID: c.id), now: at("2026-10-12T11:00"), current: engine.pack)
        #expect(x.packVersion == "v-old")
        #expect(x.routing.matched?.id == "R2")
        #expect(x.routing.differs == false)
        #expect(x.currentPackVersion == "v-new")
        #expect(x.currentRouting?.matched?.id == "R9")
        let answer = try #require(x.clocks.first { $0.run.clock == "answer" })
        #expect(answer.length == .workingDays(3, .endOfDay))
        #expect(answer.initial?.due == answer.recordedDue)
        #expect(answer.notes.isEmpty)
        let text = ExplanationText(pack: rules, zone: TestPack.zone).lines(x)
        #expect(text.contains("Rules: the case runs under pack version v-old; the pack in force is v-new"))
        #expect(text.contains("  under the pack in force (v-new): R9 → center 中心 — it would route the case differently"))

        // Explained under today's rules instead, the recorded due time disagrees and says so.
        let y = try Explainer(pack: new).explain(events: try await store.events(caseID: c.id), now: at("2026-10-12T11:00"))
        let note = try #require(y.clocks.first { $0.run.clock == "answer" }?.notes.first)
        #expect(note.contains("the pack changed since"))
    }
}

// MARK: Routing misses as values

/// The reasons a row did not match, as values a page words in its own language (the console's 试算).
@Suite struct RouteMissTests {
    let explainer = try! Explainer(pack: TestPack.make())

    @Test func eachFailedConditionCarriesTheValueTheCaseHad() {
        let r = explainer.routing(["category": "delivery", "kind": "complaint"])
        #expect(r.skipped[0].misses == [
            .condition(FieldCondition(field: "category", test: .oneOf(["license"])), actual: "delivery"),
            .condition(FieldCondition(field: "region", test: .missing(false)), actual: nil),
        ], "a failed region condition already says why unit_from: region has no unit")
        #expect(r.skipped[1].misses == [.condition(FieldCondition(field: "category", test: .equals("service")), actual: "delivery")])
        #expect(r.matched?.misses == [])
    }

    @Test func aRegionWithoutAUnitIsItsOwnMiss() {
        let r = explainer.routing(["category": "license", "region": "city"])
        #expect(r.skipped.first?.misses == [.regionHasNoUnit("city")])
        // The router gives the same values.
        let decision = Router(pack: TestPack.make()).route(["category": "license", "region": "city"])
        #expect(decision?.skipped.first?.misses == [.regionHasNoUnit("city")])
    }

    @Test func withoutAFallbackEveryRowSaysWhy() {
        var pack = TestPack.make()
        pack.routing.removeLast()
        let r = try! Explainer(pack: pack).routing(["category": "other"])
        #expect(r.matched == nil)
        #expect(r.skipped.map(\.id) == ["R1", "R2", "R3"])
        #expect(r.skipped.allSatisfy { !$0.misses.isEmpty })
    }
}

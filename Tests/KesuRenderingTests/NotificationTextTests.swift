import Foundation
import KesuKernel
import KesuNotifiers
import KesuPlugins
import KesuRendering
import KesuTestSupport
import Testing

/// What people read in reminders, escalations and violation notices, and what integrators get.
@Suite struct NotificationTextTests {
    let zone = TestPack.zone
    func at(_ s: String) -> Date { TestPack.at(s) }

    /// The test pack with an escalation at 80 % of the answer clock, i.e. before it is due.
    func pack(escalateEarly: Bool = false) -> RulePack {
        var pack = TestPack.make()
        if escalateEarly {
            pack.ladders[0].steps.insert(LadderStep(at: .share(0.8), escalateTo: ["center_head"]), at: 1)
        }
        return pack
    }

    /// A service complaint dispatched to 甲部门 on 2026-10-08 10:00 (answer due 3 working days later).
    func dispatched(_ pack: RulePack) async throws -> (Engine, CollectingNotifier, MemoryStore, CaseState) {
        let store = MemoryStore()
        let notifier = CollectingNotifier()
        let engine = try Engine(pack: pack, store: store, notifier: notifier, wording: ChineseNotificationWording())
        let c = try await engine.intake(fields: ["channel": "phone", "kind": "complaint", "description": "服务态度差", "category": "service"],
                                        by: "clerk1", at: at("2026-10-08T10:00"))
        let s = try await engine.act(c.state.number, transition: "dispatch", fields: ["category": "service"], by: "chief", at: at("2026-10-08T10:00"))
        return (engine, notifier, store, s)
    }

    @Test("a half-time reminder gives the clock's due time, not its own firing time, with names")
    func reminderGivesTheRealDueTime() async throws {
        let (engine, notifier, _, s) = try await dispatched(pack())
        let due = try #require(s.clocks["answer"]?.dueAt)
        let half = try engine.planner.stepInstant(LadderStep(at: .share(0.5), remind: []), clock: s.clocks["answer"]!)
        _ = try await engine.sweep(at: half.addingTimeInterval(60))
        _ = try await engine.deliverOutbox(at: half.addingTimeInterval(60))
        let sent = await notifier.delivered
        let reminder = try #require(sent.first { $0.kind == .reminder })
        #expect(reminder.dueAt == due)
        #expect(reminder.text.contains("将于\(ChineseTime.format(due, in: zone))到期"), "\(reminder.text)")
        #expect(!reminder.text.contains(ChineseTime.format(half, in: zone)), "the step's own instant is not the deadline: \(reminder.text)")
        #expect(!reminder.text.contains("逾期"))
        #expect(reminder.text.contains("甲部门") && !reminder.text.contains("unit_a"), "\(reminder.text)")
        #expect(reminder.text.contains("答复时限"))
        #expect(ChineseTime.format(due, in: zone) == "2026年10月12日 18:00")
    }

    @Test("an extension moves the due time the next reminder gives; after it, the reminder says it has passed")
    func extendedAndPastDue() async throws {
        let (engine, notifier, _, s) = try await dispatched(pack())
        let extended = try await engine.extend(s.number, clock: "answer", by: .workingDays(1, .endOfDay), reason: "需要调查",
                                               approver: "chief", at: at("2026-10-09T09:00"))
        let due = try #require(extended.clocks["answer"]?.dueAt)
        #expect(ChineseTime.format(due, in: zone) == "2026年10月13日 18:00")
        let late = at("2026-10-13T18:30")
        _ = try await engine.sweep(at: late)
        _ = try await engine.deliverOutbox(at: late)
        let sent = await notifier.delivered
        let dueReminder = try #require(sent.first { $0.kind == .reminder && $0.step == 2 })
        #expect(dueReminder.text.contains("已于2026年10月13日 18:00到期（已逾期）"), "\(dueReminder.text)")
        let violation = try #require(sent.first { $0.kind == .violation })
        #expect(violation.text.contains("甲部门") && violation.text.contains("未按时处理"), "\(violation.text)")
        #expect(violation.text.contains("甲联络"), "the responsible person by name: \(violation.text)")
        #expect(!violation.text.contains("unit_a") && !violation.text.contains("late_answer"), "\(violation.text)")
    }

    @Test("an escalation that fires before the due time does not say the case is overdue")
    func earlyEscalationIsNotOverdue() async throws {
        let (engine, notifier, _, s) = try await dispatched(pack(escalateEarly: true))
        let clock = try #require(s.clocks["answer"])
        let early = try engine.planner.stepInstant(LadderStep(at: .share(0.8), escalateTo: []), clock: clock)
        #expect(early < clock.dueAt)
        _ = try await engine.sweep(at: early.addingTimeInterval(60))
        _ = try await engine.deliverOutbox(at: early.addingTimeInterval(60))
        let escalation = try #require(await notifier.delivered.first { $0.kind == .escalation })
        #expect(!escalation.text.contains("逾期"), "\(escalation.text)")
        #expect(escalation.text.contains("将于2026年10月12日 18:00到期"), "\(escalation.text)")
        #expect(escalation.isPastDue == false)
    }

    @Test("the payload carries what an integrator needs, and a retried delivery keeps the outbox item's id")
    func payloadFacts() async throws {
        let (engine, _, store, s) = try await dispatched(pack())
        // A channel that fails once, then succeeds: the same item is delivered twice with one id.
        let flaky = FlakyNotifier()
        let withFlaky = try Engine(pack: engine.pack, store: store, notifiers: ["flaky": flaky], wording: ChineseNotificationWording())
        let late = at("2026-10-12T18:30")
        _ = try await withFlaky.sweep(at: late)
        _ = try await withFlaky.deliverOutbox(at: late)
        // The case's items on the channel go in order, each failing once: the violation's retry comes once the items
        // before it are done.
        for minutes in [2, 10, 20, 40, 80, 160] { _ = try await withFlaky.deliverOutbox(at: late.addingTimeInterval(Double(minutes) * 60)) }
        let tries = await flaky.seen
        let items = try await store.outbox(status: nil, limit: 100)
        let violationItem = try #require(items.first { $0.notification.kind == .violation })
        let attempts = tries.filter { $0.kind == .violation }
        #expect(attempts.count == 2)
        #expect(attempts.allSatisfy { $0.id == violationItem.id }, "both tries carry the outbox item's id")
        guard case let .object(o) = attempts[0].payload else { Issue.record("payload is not an object"); return }
        #expect(o["id"] == .number(Double(violationItem.id)))
        #expect(o["case"] == .string(s.number))
        #expect(o["violation"] == .string("late_answer"))
        #expect(o["unit"] == .string("unit_a"))
        #expect(o["clock"] == .string("answer"))
        #expect(o["due_at"] == .string("2026-10-12T10:00:00Z"))
        #expect(o["past_due"] == .bool(true))
        let reminder = try #require(tries.first { $0.kind == .reminder && $0.step == 2 })
        guard case let .object(r) = reminder.payload else { Issue.record("payload is not an object"); return }
        #expect(r["rule"] == .string("answer_ladder#2"))
        #expect(r["step"] == .number(2))
        #expect(r["due_at"] == .string("2026-10-12T10:00:00Z"))
        #expect(r["unit"] == .string("unit_a"))
        #expect(o["caseNumber"] == nil, "one name per thing: `case`")
    }

    @Test("notify, the JSON-lines file and the webhook send one object with the same names")
    func oneFormAcrossChannels() async throws {
        let n = Notification(kind: .reminder, caseNumber: "T-2026-000001", recipients: ["a_liaison"], text: "文本",
                             at: at("2026-10-10T12:00"), clock: "answer", run: 1, rule: "answer_ladder#1", step: 1,
                             dueAt: at("2026-10-12T18:00"), unit: "unit_a", id: 7)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kesu-n-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try await OutboxFileNotifier(path: file).deliver(n)
        let line = try JSONValue.parse(Data(try String(contentsOfFile: file, encoding: .utf8).utf8))
        let notify = try #require(ExecNotifier.params(n)["notification"])
        #expect(line == notify)
        #expect(line == n.payload)
        for key in ["id", "kind", "case", "recipients", "text", "at", "clock", "run", "rule", "step", "violation", "due_at", "unit", "person"] {
            #expect(line[key] != nil, "missing \(key)")
        }
        #expect(line["id"] == .number(7))
    }

    @Test("periodic report reminders name the report, the quarter and the unit")
    func reportReminderText() {
        let pack = TestPack.make()
        let n = Notification(kind: .reminder, caseNumber: "report/2026Q4/x/unit_a", recipients: ["a_liaison"], at: at("2026-12-10T09:00"),
                             dueAt: at("2026-12-15T18:00"), unit: "unit_a", report: "x", period: "2026Q4")
        let text = ChineseNotificationWording().text(for: n, pack: pack, zone: zone)
        #expect(text.contains("2026年第四季度") && text.contains("2026年12月15日 18:00") && text.contains("甲部门"), "\(text)")
    }

    @Test("the calendar notice says until when the official calendar counts and what the administrator runs")
    func calendarNotice() async throws {
        var pack = TestPack.make()
        pack.roles.append(RoleDef(id: "admin", name: "规则管理员", permissions: [.rulesAdmin]))
        pack.people.append(PersonDef(id: "admin1", name: "管理员", unit: "center", roles: ["admin"]))
        let store = MemoryStore()
        let notifier = CollectingNotifier()
        let engine = try Engine(pack: pack, store: store, notifier: notifier, wording: ChineseNotificationWording())
        #expect(try await engine.calendarDuties(at: at("2026-12-07T09:00")).noticeSent)
        _ = try await engine.deliverOutbox(at: at("2026-12-07T09:00"))
        let n = try #require(await notifier.delivered.first)
        #expect(n.kind == .calendar && n.recipients == ["admin1"])
        #expect(n.text.hasPrefix("【日历提醒】节假日日历（国务院办公厅通知）只覆盖到2026年12月31日，还剩25天。"), "\(n.text)")
        #expect(n.text.contains("2027年部分节假日安排的通知") && n.text.contains("kesu calendar import"))
        #expect(n.text.hasSuffix("在此之前，2027年的时限只跳过周末（可先用 kesu calendar draft 2027 生成暂定日历）。"), "\(n.text)")
        // With a draft for 2027 in the pack, the notice says deadlines are counted on it meanwhile.
        var drafted = pack
        drafted.calendar.provisionalYears = [2027]
        drafted.calendar.holidays.append(DatedDay(date: LocalDate(year: 2027, month: 1, day: 1), name: "new_years_day", label: "元旦"))
        let withDraft = ChineseNotificationWording().text(for: n, pack: drafted, zone: zone)
        #expect(withDraft.hasSuffix("在此之前，2027年的时限按暂定日历计算（仅法定节假日，无调休上班日），并标注“暂定日历”。"), "\(withDraft)")
        // Past the end: today itself is not covered.
        let late = ChineseNotificationWording().text(for: KesuKernel.Notification(kind: .calendar, caseNumber: "calendar", recipients: [],
                                                                                   at: at("2027-01-04T09:00"), period: "2027"),
                                                     pack: pack, zone: zone)
        #expect(late.hasPrefix("【日历提醒】节假日日历（国务院办公厅通知）不覆盖今天（2027年）。国务院办公厅发布2027年"), "\(late)")
        // A reminder of a clock due in a year the calendar does not know says so, like every other due time.
        let reminder = ChineseNotificationWording().text(for: KesuKernel.Notification(kind: .reminder, caseNumber: "T-2027-000001", recipients: [],
                                                                                       at: at("2027-01-04T09:00"), clock: "answer", run: 1,
                                                                                       dueAt: at("2027-01-06T18:00")),
                                                         pack: pack, zone: zone)
        #expect(reminder.contains("将于2027年1月6日 18:00（日历未覆盖）到期"), "\(reminder)")
    }
}

/// Fails every first try of an item, then delivers; keeps every try.
actor FlakyNotifier: Notifier {
    private(set) var seen: [KesuKernel.Notification] = []
    private var failed: Set<Int64> = []
    func deliver(_ n: KesuKernel.Notification) async throws {
        seen.append(n)
        if let id = n.id, !failed.contains(id) {
            failed.insert(id)
            throw NotifierError("down for a moment")
        }
    }
}

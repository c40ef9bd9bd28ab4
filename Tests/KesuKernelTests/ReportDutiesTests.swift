import Foundation
import KesuKernel
import KesuTestSupport
import Testing

/// Periodic reports (第十二条): each unit's analysis by the 15th of the quarter's last month, the
/// center's summary by the 20th; the sweep reminds beforehand and records a report late once.
@Suite struct ReportDutiesTests {
    func at(_ s: String) -> Date { TestPack.at(s) }

    func engine(_ store: MemoryStore, notifier: CollectingNotifier? = nil) throws -> Engine {
        var pack = TestPack.make()
        pack.reporting.reports = [
            PeriodicReportDef(id: "analysis", name: "客户期望分析报告", by: .unit, monthOfQuarter: 3, day: 15),
            PeriodicReportDef(id: "summary", name: "季度客户意见汇总表", by: .center, monthOfQuarter: 3, day: 20),
        ]
        return try Engine(pack: pack, store: store, notifier: notifier)
    }

    @Test func remindersLateRecordsAndSubmissions() async throws {
        let store = MemoryStore()
        let notifier = CollectingNotifier()
        let e = try engine(store, notifier: notifier)
        let q4 = try Period.parse("2026Q4", calendar: e.planner.calendar)

        #expect(try await e.sweepReports(at: at("2026-12-09T12:00")).isEmpty)
        // 3 working days before Tue 12-15: Mon 14, Fri 11, Thu 10 → reminders from Thu 12-10 08:30.
        let reminded = try await e.sweepReports(at: at("2026-12-10T09:00"))
        #expect(reminded.map(\.kind) == [.reminded, .reminded, .reminded])
        #expect(reminded.map(\.unit) == ["county", "unit_a", "unit_b"])
        #expect(reminded.map(\.recipients) == [["k_liaison"], ["a_liaison"], ["b_liaison"]])
        #expect(reminded.allSatisfy { $0.due == at("2026-12-15T18:00") })
        #expect(await notifier.delivered.count == 0, "the sweep enqueues; delivery is the dispatcher's")
        #expect(try await store.outbox(status: .pending, limit: 10).map(\.caseID) == [0, 0, 0], "not about a case")
        #expect(try await e.deliverOutbox(at: at("2026-12-10T09:00")).delivered == 3)
        #expect(await notifier.delivered.count == 3)
        #expect(try await e.sweepReports(at: at("2026-12-10T10:00")).isEmpty, "each reminder once")

        let a = try await e.submitReport("analysis", quarter: q4, unit: nil, note: "已上报", by: "a_liaison", at: at("2026-12-14T10:00"))
        #expect(a.unit == "unit_a" && a.status == .submitted)

        // The analyses not handed in by Tue 12-15 18:00 are late; the center's summary (due Sun 12-20)
        // is reminded from Wed 12-16 (Fri 18, Thu 17, Wed 16).
        let next = try await e.sweepReports(at: at("2026-12-16T09:00"))
        #expect(next.map { "\($0.reportID) \($0.unit) \($0.kind)" } == ["analysis county late", "analysis unit_b late", "summary center reminded"])

        let late = try await e.sweepReports(at: at("2026-12-21T09:00"))
        #expect(late.map { "\($0.reportID) \($0.unit) \($0.kind)" } == ["summary center late"])
        #expect(try await e.sweepReports(at: at("2026-12-22T09:00")).isEmpty, "each late record once")
        let lateRecord = try await store.records(stream: "report:2026Q4:analysis:unit_b").last
        #expect(lateRecord?.type == "late" && lateRecord?.at == at("2026-12-15T18:00"), "dated when nothing had arrived")

        // Next quarter, the sweep still knows the quarter it tracked, and adds nothing to it.
        #expect(try await e.sweepReports(at: at("2027-01-05T09:00")).isEmpty)
        _ = try await e.submitReport("analysis", quarter: q4, unit: "unit_b", note: nil, by: "b_liaison", at: at("2026-12-22T10:00"))
        let duties = try await e.reportDuties(quarter: q4, at: at("2026-12-22T11:00"))
        #expect(duties.map { "\($0.reportID) \($0.unit) \($0.status.rawValue)" } == [
            "analysis county late", "analysis unit_a submitted", "analysis unit_b submitted_late", "summary center late",
        ])
    }

    @Test func aNewStoreIsNotFloodedWithAPastQuarter() async throws {
        let e = try engine(MemoryStore())
        // Nothing was tracked in Q3: the first sweep in Q4 records nothing for it.
        #expect(try await e.sweepReports(at: at("2026-10-08T09:00")).isEmpty)
    }

    @Test func refusedSubmissionsWriteNothing() async throws {
        let store = MemoryStore()
        let e = try engine(store)
        let q4 = try Period.parse("2026Q4", calendar: e.planner.calendar)
        await #expect { try await e.submitReport("analysis", quarter: q4, unit: "unit_a", note: nil, by: "b_liaison", at: at("2026-12-14T10:00")) }
            throws: { ($0 as? KesuError)?.code == .forbidden }
        await #expect { try await e.submitReport("analysys", quarter: q4, unit: nil, note: nil, by: "a_liaison", at: at("2026-12-14T10:00")) }
            throws: { ($0 as? KesuError)?.message.contains("did you mean 'analysis'") == true }
        await #expect { try await e.submitReport("summary", quarter: q4, unit: nil, note: nil, by: "a_liaison", at: at("2026-12-14T10:00")) }
            throws: { ($0 as? KesuError)?.code == .invalidValue }
        #expect(try await store.records(streamPrefix: "report:").isEmpty)
        _ = try await e.submitReport("analysis", quarter: q4, unit: nil, note: nil, by: "a_liaison", at: at("2026-12-14T10:00"))
        await #expect { try await e.submitReport("analysis", quarter: q4, unit: nil, note: nil, by: "a_liaison", at: at("2026-12-14T11:00")) }
            throws: { ($0 as? KesuError)?.code == .wrongState }
        #expect(try await store.records(streamPrefix: "report:").count == 1)
    }
}

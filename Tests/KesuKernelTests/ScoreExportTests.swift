import Foundation
import KesuKernel
import KesuRendering
import KesuTestSupport
import Testing

/// The scores export model: points and measures joined per unit or person, line items traceable
/// to their cases, CSV encoding with a byte-order mark and RFC 4180 quoting.
@Suite struct ScoreExportTests {
    let pack = TestPack.make()
    func at(_ s: String) -> Date { TestPack.at(s) }

    /// MeasuresTests' fixture: case A crosses National Day, is answered by unit_a in time, the
    /// callback is unsatisfied (−0.5 for unit_a), unit_b answers again; case B is extended and
    /// still late (−1 for unit_a and for a_liaison, the clock's responsible person).
    func twoCases() async throws -> Engine {
        let e = try Engine(pack: pack, store: MemoryStore())
        try await TestPack.twoCases(e)
        return e
    }

    func period(_ p: String) throws -> Period { try Period.parse(p, calendar: try BusinessCalendar(pack.calendar)) }

    @Test func byUnitJoinsPointsAndMeasures() async throws {
        let e = try await twoCases()
        let x = try await e.scoreExport(period: try period("2026-10"), by: .unit)
        #expect(x.rows.map(\.subject.id) == ["center", "unit_a", "unit_b", "county"], "every unit of the pack, in the pack's order")
        let a = try #require(x.rows.first { $0.subject.id == "unit_a" })
        #expect((a.baseline, a.deducted, a.score, a.itemCount) == (100, 1.5, 98.5, 2))
        #expect(a.measures.onTimeRate == 0.5)
        #expect(a.measures.satisfactionRate == 0)
        #expect(a.measures.redispatchRate == 1)
        let b = try #require(x.rows.first { $0.subject.id == "unit_b" })
        #expect((b.deducted, b.score, b.measures.received, b.measures.satisfactionRate, b.measures.redispatchRate) == (0, 100, 1, 1, 0))
        let center = try #require(x.rows.first { $0.subject.id == "center" })
        #expect(center.score == 100 && center.measures.onTimeRate == nil && center.measures.satisfactionRate == nil)

        // Line items: the unsatisfied callback of case A (Oct 9), then case B's late answer at its
        // extended due time (Oct 15 + one working day = Fri Oct 16, 18:00).
        #expect(x.items.count == 2)
        let (i1, i2) = (x.items[0], x.items[1])
        #expect((i1.caseNumber, i1.cause, i1.causeKind, i1.causeID, i1.causeName)
            == ("T-2026-000001", "outcome:unsatisfied_callback", "outcome", "unsatisfied_callback", "回访不满意"))
        #expect((i1.ruleID, i1.points) == ("S4", 0.5))
        #expect(i1.occurredAt == at("2026-10-09T10:00"))
        #expect((i2.caseNumber, i2.cause, i2.causeName, i2.ruleID, i2.points)
            == ("T-2026-000002", "violation:late_answer", "未按时处理", "S1", 1))
        #expect(i2.occurredAt == at("2026-10-16T18:00"))
        #expect(x.items.allSatisfy { $0.subject.id == "unit_a" && $0.packVersion == pack.version })

        let csv = x.csv(x.summaryTable, lang: .zh)
        let lines = csv.components(separatedBy: "\r\n")
        #expect(lines[2] == "unit_a,甲部门,100,1.5,98.5,2,1,1,2,1,0.5,1,1,1,0,1,1,1,,,")
        #expect(lines[1] == "center,中心,100,0,100,0,0,0,0,0,,0,0,0,,0,,0,,,", "no denominator: an empty rate")
        let items = x.csv(x.itemsTable, lang: .en).components(separatedBy: "\r\n")
        #expect(items[0] == "Unit ID,Name,Case,Cause type,Cause ID,Cause,Scoring rule,Points,Occurred at,Pack version")
        #expect(items[1] == "unit_a,甲部门,T-2026-000001,outcome,unsatisfied_callback,回访不满意,S4,0.5,2026-10-09 10:00:00,\(pack.version)")
        #expect(items[2] == "unit_a,甲部门,T-2026-000002,violation,late_answer,未按时处理,S1,1,2026-10-16 18:00:00,\(pack.version)")
        #expect(items.count == 4 && items[3].isEmpty, "every record ends with CRLF")
    }

    @Test func byPersonInAQuarterWithTheirUnits() async throws {
        let e = try await twoCases()
        let x = try await e.scoreExport(period: try period("2026Q4"), by: .person)
        #expect(x.rows.map(\.subject.id) == pack.people.map(\.id))
        let l = try #require(x.rows.first { $0.subject.id == "a_liaison" })
        #expect((l.deducted, l.score, l.unit, l.unitName, l.measures.overdue) == (1, 99, "unit_a", "甲部门", 1))
        #expect(x.items.map { "\($0.subject.id) \($0.caseNumber) \($0.ruleID) \($0.points)" } == ["a_liaison T-2026-000002 S1 1.0"])
        let h = try #require(x.rows.first { $0.subject.id == "a_handler" })
        #expect((h.deducted, h.measures.received, h.measures.answered, h.measures.answeredOnTime, h.measures.onTimeRate) == (0, 2, 2, 1, 0.5))
        let header = x.csv(x.summaryTable, lang: .zh).components(separatedBy: "\r\n")[0]
        #expect(header == "人员编号,姓名,所属单位编号,所属单位,基础分,扣分合计,得分,扣分明细条数,受理件数,投诉成立件数,办结件数,按时办结件数,按时办结率,逾期件数,回访件数,回访不满意件数,回访满意率,不满意重新派单件数,重新派单率,延期次数,建议处理,建议处理编号,触发阈值")
    }

    @Test func everyColumnHasAHeaderInBothLanguagesFromRendering() {
        for by in [ScoreSubject.Kind.unit, .person] {
            for c in ScoreExport.summaryColumns(by: by) + ScoreExport.itemColumns(by: by) {
                #expect(c.subject == by)
                // The kernel has keys only; a header that is the bare key means the renderer has no words for it.
                #expect(c.title(.zh) != c.key && c.title(.en) != c.key, "\(c.key)")
                #expect(c.title(.zh).unicodeScalars.contains { $0.value >= 0x4E00 }, "\(c.key): \(c.title(.zh))")
            }
        }
        #expect(ScoreExport.summaryColumns(by: .person)[0].title(.zh) == "人员编号")
        #expect(ScoreExport.summaryColumns(by: .unit)[1].title(.en) == "Name")
    }

    @Test func csvFilesStartWithTheByteOrderMarkAndRerunsAreIdentical() async throws {
        let e = try await twoCases()
        let first = try await e.scoreExport(period: try period("2026Q4"), by: .unit).csvFiles(lang: .zh)
        let again = try await e.scoreExport(period: try period("2026Q4"), by: .unit).csvFiles(lang: .zh)
        #expect(first.summary == again.summary && first.items == again.items)
        #expect(Array(first.summary.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(Array(first.items.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let header = String(decoding: first.summary.dropFirst(3), as: UTF8.self).components(separatedBy: "\r\n")[0]
        #expect(header.hasPrefix("单位编号,单位名称,基础分,扣分合计,得分,"))
        let en = try await e.scoreExport(period: try period("2026Q4"), by: .unit).csvCombined(lang: .en)
        let text = String(decoding: en.dropFirst(3), as: UTF8.self)
        #expect(text.hasPrefix("Unit ID,Name,Baseline,Deducted,Score,Line items,Received,Substantiated,Answered,Answered on time,On-time rate,"))
        #expect(text.contains("\r\n\r\nUnit ID,Name,Case,"), "summary, an empty line, then the line items")
    }

    @Test func csvQuotesOnlyWhatItMust() {
        #expect(CSV.field("plain 文本") == "plain 文本")
        #expect(CSV.field("a,b") == "\"a,b\"")
        #expect(CSV.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSV.field("two\nlines") == "\"two\nlines\"")
        #expect(CSV.field("crlf\r\nend") == "\"crlf\r\nend\"")
        #expect(CSV.field("cr\rend") == "\"cr\rend\"")
        #expect(CSV.field("") == "")
        #expect(CSV.line(["x", "y,z", ""]) == "x,\"y,z\",\r\n")
    }

    @Test func numbersAndTimesAreWrittenPlainly() {
        #expect(ScoreExport.number(3) == "3")
        #expect(ScoreExport.number(0.5) == "0.5")
        #expect(ScoreExport.number(97.25) == "97.25")
        #expect(ScoreExport.localTime(at("2026-10-16T18:00"), in: TestPack.zone) == "2026-10-16 18:00:00")
        // The arithmetic agrees with Foundation's calendar, across leap days, centuries and zones.
        for zone in [TestPack.zone, TimeZone(identifier: "America/New_York")!, TimeZone(identifier: "UTC")!] {
            var cal = Calendar(identifier: .gregorian)
            cal.timeZone = zone
            for t in stride(from: -2_300_000_000.0, to: 4_200_000_000, by: 7_777_777.7) {
                let d = Date(timeIntervalSince1970: t)
                let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: d)
                let expected = String(format: "%04d-%02d-%02d %02d:%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
                #expect(ScoreExport.localTime(d, in: zone) == expected)
            }
        }
        let x = ScoreExport(period: try! Period.parse("2026", calendar: try! BusinessCalendar(pack.calendar)), by: .unit,
                            timeZone: TestPack.zone, rows: [], items: [])
        #expect(x.csvText(.rate(2.0 / 3)) == "0.6667")
        #expect(x.csvText(.rate(nil)) == "")
    }
}

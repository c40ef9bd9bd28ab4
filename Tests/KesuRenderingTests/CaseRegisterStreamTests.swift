import Foundation
import KesuKernel
import KesuRendering
import KesuTestSupport
import KesuViews
import Testing

/// The case register read a chunk at a time (issue 19): what a year of a city's hotline needs to fit
/// in bounded memory, with the same rows, in the same order, as the register built whole.
@Suite struct CaseRegisterStreamTests {
    @Test("1,203 cases, several registered at one instant: chunks of 500, every case once, oldest first, the same file as built whole")
    func chunksGiveTheWholeRegister() async throws {
        var pack = TestPack.make()
        pack.procedure.intake.accepts.append("complainant_phone")
        let store = MemoryStore()
        let engine = try Engine(pack: pack, store: store)
        let fields = ["channel": "phone", "kind": "complaint", "description": "态度差", "category": "service"]
        let start = TestPack.at("2026-10-12T09:00")
        for i in 0..<1_203 {
            // Three cases per minute at the same instant: positions must break ties by id.
            _ = try await engine.intake(fields: fields.merging(["complainant_phone": "1381234\(String(format: "%04d", i))"]) { $1 },
                                        by: "clerk1", at: start.addingTimeInterval(Double(i / 3) * 60))
        }
        _ = try await engine.intake(fields: fields, by: "clerk1", at: TestPack.at("2026-12-01T09:00"))   // outside the window
        let window = (from: TestPack.at("2026-10-12T00:00"), until: TestPack.at("2026-11-01T00:00"))
        let register = CaseRegister.frame(pack: pack, timeZone: engine.planner.calendar.timeZone, from: window.from, until: window.until, viewer: nil)

        let chunks = Chunks()
        try await register.streamRows(engine: engine, now: TestPack.at("2026-11-02T09:00")) { await chunks.add($0) }
        let streamed = await chunks.all
        #expect(streamed.map(\.count) == [500, 500, 203])
        let rows = streamed.flatMap { $0 }
        #expect(rows.map(\.number) == (1...1_203).map { String(format: "T-2026-%06d", $0) }, "oldest first, ties by id, each once")
        #expect(rows.allSatisfy { $0.complainantPhone?.hasPrefix("1381234") == true }, "the operator's register is unmasked")

        // The same bytes as the register built whole (the API's and the console's before streaming).
        let whole = try await CaseRegister.build(engine: engine, from: window.from, until: window.until, viewer: nil,
                                                 now: TestPack.at("2026-11-02T09:00"))
        let sheet = register.sheet(pack: pack)
        let written = sheet.csvHeader + rows.map { sheet.csvLine(register.values($0)) }.joined()
        #expect(ScoreExport.byteOrderMark + Data(written.utf8) == whole.sheet(pack: pack).csv)
    }

    private actor Chunks {
        var all: [[CaseRegister.Row]] = []
        func add(_ rows: [CaseRegister.Row]) { all.append(rows) }
    }
}

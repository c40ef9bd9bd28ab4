import Foundation
import KesuKernel
import Testing

/// Stored events outlive the code that wrote them: an event written before a field existed
/// must still read back.
@Suite struct EventCodingTests {
    @Test func anExtensionWrittenBeforeItsLengthWasRecordedStillDecodes() throws {
        let old = #"{"clockExtended":{"_0":{"clock":"answer","run":1},"dueAt":812345678,"reason":"等待核实","approver":"qian_jin"}}"#
        let body = try JSONDecoder().decode(EventBody.self, from: Data(old.utf8))
        #expect(body == .clockExtended(ClockRun(clock: "answer", run: 1), dueAt: Date(timeIntervalSinceReferenceDate: 812345678),
                                       reason: "等待核实", approver: "qian_jin", length: nil))
    }

    @Test func anExtensionKeepsItsGrantedLength() throws {
        let body = EventBody.clockExtended(ClockRun(clock: "answer", run: 2), dueAt: Date(timeIntervalSinceReferenceDate: 1000),
                                           reason: "r", approver: "a", length: .workingDays(2, .endOfDay))
        let back = try JSONDecoder().decode(EventBody.self, from: try JSONEncoder().encode(body))
        #expect(back == body)
    }
}

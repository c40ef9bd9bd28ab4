import Foundation
@testable import KesuKernel
import KesuTestSupport
import Testing

/// The fast reader of stored event bodies must give exactly what JSONDecoder gives, or give up.
@Suite("event bodies: the fast reader agrees with JSONDecoder")
struct EventBodyJSONTests {
    static let run = ClockRun(clock: "answer", run: 2)
    static let t = Date(timeIntervalSinceReferenceDate: 721_562_220)
    static let samples: [EventBody] = [
        .intake(number: "YC-2026-000001", state: "registered", fields: [
            "subject": "客户经理服务态度差", "description": "引号\" 反斜杠\\ 换行\n 制表\t 斜杠/ 表情😀 控制\u{01}",
            "complainant_phone": "13812345678", "empty": "",
        ]),
        .intake(number: "", state: "s", fields: [:]),
        .transition(id: "answer", from: "in_progress", to: "answer_review", fields: ["handled_at": "2026-09-30T15:30:00+08:00"]),
        .routed(unit: "county_a", reason: "rule"),
        .closed(state: "closed"),
        .assigned(person: "tang_hao"),
        .clockStarted(run, startedAt: t, dueAt: t.addingTimeInterval(86_400.25)),
        .clockStopped(run, late: true),
        .clockStopped(run, late: false),
        .clockPaused(run, remaining: 3_600.5),
        .clockResumed(run, dueAt: Date(timeIntervalSinceReferenceDate: -12.75)),
        .clockExtended(run, dueAt: t, reason: "需要现场核实", approver: "qian_jin"),
        .clockExtended(run, dueAt: t, reason: "r", approver: "a", length: .workingDays(5, .endOfDay)),
        .reminder(run, step: 0, dueAt: t, recipients: ["a", "b"]),
        .escalation(run, step: 3, dueAt: t, recipients: []),
        .violation(id: "late_answer", run: run, unit: "county_a", person: "tang_hao", occurredAt: t),
        .violation(id: "late", run: nil, unit: "u", person: nil, occurredAt: Date(timeIntervalSinceReferenceDate: 1e-3)),
        .outcome(id: "unsatisfied", unit: nil, person: nil),
        .outcome(id: "substantiated_fault", unit: "u", person: "p"),
        .deduction(cause: "violation:late_answer", subject: ScoreSubject(.person, "tang_hao"), points: 0.5, occurredAt: t),
        .deduction(cause: "outcome:x", subject: ScoreSubject(.unit, "u"), points: 2, occurredAt: t),
        .attachmentAdded(fileName: "来信 \"扫描\".pdf", mediaType: "application/pdf", size: 123_456, sha256: String(repeating: "ab", count: 32)),
        .clockExtended(run, dueAt: t, reason: "r", approver: "a", length: .workingMinutes(240)),
        .extensionRequested(run, length: .workingDays(3, .sameTime), reason: "需要现场核实"),
        .extensionRequested(run, length: .workingMinutes(120), reason: "r"),
        .extensionDeclined(run, reason: "理由不充分", by: "qian_jin"),
    ]

    static func encoded(_ body: EventBody, sorted: Bool) throws -> String {
        let e = JSONEncoder()
        if sorted { e.outputFormatting = [.sortedKeys] }
        return String(decoding: try e.encode(body), as: UTF8.self)
    }

    static func fast(_ json: String) -> EventBody? {
        var text = json
        return text.withUTF8 { EventBodyReader.read($0) }
    }

    @Test("every kind of body reads back equal, in either key order, extension lengths included")
    func roundTrip() throws {
        for body in Self.samples {
            for sorted in [true, false] {
                let json = try Self.encoded(body, sorted: sorted)
                #expect(try EventBody.decode(json: json, decoder: JSONDecoder()) == body, "\(json)")
                #expect(Self.fast(json) == body, "the fast reader should take \(json)")
            }
        }
    }

    @Test("escapes, surrogate pairs, spacing and null optionals are read as JSONDecoder reads them")
    func handWritten() throws {
        let documents = [
            #"{"routed":{"unit":"\u5f20\u4e09","reason":"a\/b\"c\\d\b\f\n\r\t"}}"#,
            #"{"assigned":{"person":"\ud83d\ude00 x"}}"#,
            #" { "closed" : { "state" : "done" } } "#,
            #"{"outcome":{"id":"o","unit":null,"person":null}}"#,
            #"{"violation":{"id":"v","run":null,"unit":"u","occurredAt":-1.5e3}}"#,
            #"{"clockPaused":{"_0":{"run":1,"clock":"c"},"remaining":0}}"#,
            #"{"deduction":{"cause":"c","subject":{"id":"u","kind":"unit"},"points":1E-2,"occurredAt":12345678901234567890}}"#,
        ]
        for json in documents {
            let slow = try JSONDecoder().decode(EventBody.self, from: Data(json.utf8))
            #expect(try EventBody.decode(json: json, decoder: JSONDecoder()) == slow, "\(json)")
            // Exponents are left to JSONDecoder; everything else here the fast reader takes.
            #expect(Self.fast(json) == (json.contains("e3") || json.contains("E-2") ? nil : slow), "\(json)")
        }
    }

    @Test("malformed or unexpected documents: the fast reader gives up, never differs")
    func givesUp() {
        let documents = [
            "", "{}", "[]", "null", #"{"routed":{"unit":"u"}}"#, #"{"routed":{"unit":"u","reason":"r"},"closed":{"state":"s"}}"#,
            #"{"routed":{"unit":"u","reason":"r","unit":"v"}}"#, #"{"closed":{"state":"s"}} x"#, #"{"closed":{"state":"a\u12"}}"#,
            #"{"assigned":{"person":"\ud83d"}}"#, #"{"reminder":{"_0":{"clock":"c","run":1},"step":1.5,"dueAt":0,"recipients":[]}}"#,
            #"{"clockPaused":{"_0":{"clock":"c","run":1},"remaining":01}}"#, #"{"nope":{}}"#,
            #"{"closed":{"state":"s","_0":{"clock":"c","run":1}}}"#,
        ]
        for json in documents {
            let slow = try? JSONDecoder().decode(EventBody.self, from: Data(json.utf8))
            let fast = Self.fast(json)
            #expect(fast == nil || fast == slow, "\(json): fast \(String(describing: fast)), JSONDecoder \(String(describing: slow))")
        }
    }

    @Test("50,000 seeded mutations of real bodies: whatever the fast reader accepts, JSONDecoder reads the same")
    func mutations() throws {
        var rng = SplitMix(seed: 20_261_129)
        let alphabet = Array(#"{}[]":,\ -+.0123456789eEnulltruefalse_0"#.utf8) + Array("张".utf8)
        let bases = try Self.samples.map { Array(try Self.encoded($0, sorted: Bool.random(using: &rng)).utf8) }
        var accepted = 0
        // KESU_MUTATIONS scales the run (2,000,000 were tried once by hand).
        let count = ProcessInfo.processInfo.environment["KESU_MUTATIONS"].flatMap(Int.init) ?? 50_000
        for _ in 0..<count {
            var bytes = bases[Int(rng.next() % UInt64(bases.count))]
            for _ in 0..<(1 + Int(rng.next() % 3)) where !bytes.isEmpty {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 4 {
                case 0: bytes[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: at)
                case 2: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                default: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + 8)], at: at)
                }
            }
            let fast = bytes.withUnsafeBufferPointer { EventBodyReader.read($0) }
            guard let fast else { continue }
            accepted += 1
            let slow = try? JSONDecoder().decode(EventBody.self, from: Data(bytes))
            #expect(slow == fast, "\(String(decoding: bytes, as: UTF8.self))")
        }
        // Many mutations keep the document valid (a changed letter inside a string), so the fast path is exercised.
        #expect(accepted > count / 25)
    }
}

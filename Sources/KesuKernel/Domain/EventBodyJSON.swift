import Foundation

/// Reading stored event bodies fast. Reports fold millions of events; Foundation's JSONDecoder
/// spends most of its time in the Codable machinery, not in the JSON. This reader parses the
/// exact shape the synthesized `Codable` of `EventBody` writes (`{"case":{"label":value,"_0":…}}`)
/// straight into the value. Anything it does not expect (an unknown case or key, a `length` on an
/// extension, a malformed document) makes it give up, and the caller falls back to JSONDecoder,
/// so the result is always the one JSONDecoder would give.
extension EventBody {
    /// Decodes a stored body: the fast reader first, JSONDecoder when it gives up.
    public static func decode(json: String, decoder: JSONDecoder) throws -> EventBody {
        var text = json
        if let body = text.withUTF8({ EventBodyReader.read($0) }) { return body }
        return try decoder.decode(EventBody.self, from: Data(json.utf8))
    }
}

enum EventBodyReader {
    struct GiveUp: Error {}

    static func read(_ bytes: UnsafeBufferPointer<UInt8>) -> EventBody? {
        var r = JSONBytes(bytes)
        return try? r.body()
    }
}

/// A forward-only reader of one JSON document in a byte buffer.
struct JSONBytes {
    typealias GiveUp = EventBodyReader.GiveUp
    let b: UnsafeBufferPointer<UInt8>
    var i = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { b = bytes }

    mutating func ws() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    mutating func eat(_ c: UInt8) throws {
        ws()
        guard i < b.count, b[i] == c else { throw GiveUp() }
        i += 1
    }

    mutating func peek(_ c: UInt8) -> Bool {
        ws()
        return i < b.count && b[i] == c
    }

    /// Calls `field` for each key of an object; the callback reads the value.
    mutating func object(_ field: (inout JSONBytes, String) throws -> Void) throws {
        try eat(UInt8(ascii: "{"))
        if peek(UInt8(ascii: "}")) { i += 1; return }
        while true {
            let key = try string()
            try eat(UInt8(ascii: ":"))
            try field(&self, key)
            if peek(UInt8(ascii: ",")) { i += 1; continue }
            try eat(UInt8(ascii: "}"))
            return
        }
    }

    mutating func string() throws -> String {
        try eat(UInt8(ascii: "\""))
        let start = i
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                guard let s = String(validating: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self) else { throw GiveUp() }
                i += 1
                return s
            }
            if c == UInt8(ascii: "\\") { i = start; return try escapedString() }
            if c < 0x20 { throw GiveUp() }
            i += 1
        }
        throw GiveUp()
    }

    /// The slow path for strings with escapes; `i` is just past the opening quote.
    mutating func escapedString() throws -> String {
        var out: [UInt8] = []
        func hex4(_ r: inout JSONBytes) throws -> UInt32 {
            guard r.i + 4 <= r.b.count else { throw GiveUp() }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = r.b[r.i]
                r.i += 1
                v <<= 4
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): v |= UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): v |= UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): v |= UInt32(c - UInt8(ascii: "A") + 10)
                default: throw GiveUp()
                }
            }
            return v
        }
        while i < b.count {
            let c = b[i]
            i += 1
            switch c {
            case UInt8(ascii: "\""):
                guard let s = String(validating: out, as: UTF8.self) else { throw GiveUp() }
                return s
            case UInt8(ascii: "\\"):
                guard i < b.count else { throw GiveUp() }
                let e = b[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4(&self)
                    if (0xD800...0xDBFF).contains(scalar) {
                        // A surrogate pair; a lone half is left to JSONDecoder.
                        guard i + 2 <= b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else { throw GiveUp() }
                        i += 2
                        let low = try hex4(&self)
                        guard (0xDC00...0xDFFF).contains(low) else { throw GiveUp() }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw GiveUp() }
                    UTF8.encode(u) { out.append($0) }
                default: throw GiveUp()
                }
            default:
                if c < 0x20 { throw GiveUp() }
                out.append(c)
            }
        }
        throw GiveUp()
    }

    /// Whether the last number read had no fraction.
    var lastWasIntegral = true

    /// A number without exponent, checked against JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?
    mutating func number() throws -> Double {
        ws()
        let start = i
        func digits(_ r: inout JSONBytes) -> Int {
            let s = r.i
            while r.i < r.b.count, r.b[r.i] >= UInt8(ascii: "0"), r.b[r.i] <= UInt8(ascii: "9") { r.i += 1 }
            return r.i - s
        }
        if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
        let intStart = i
        let n = digits(&self)
        guard n > 0, !(n > 1 && b[intStart] == UInt8(ascii: "0")) else { throw GiveUp() }
        var integral = true
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            guard digits(&self) > 0 else { throw GiveUp() }
            integral = false
        }
        // Exponents are rare in what we write, and JSONDecoder refuses some valid ones (0.00e1):
        // they are left to it.
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") { throw GiveUp() }
        lastWasIntegral = integral
        // Whole numbers of up to 15 digits are exact as Double; everything else goes through
        // Double's own (correctly rounded) parser.
        if integral, n <= 15 {
            var v: Int64 = 0
            for k in intStart..<i { v = v * 10 + Int64(b[k] - UInt8(ascii: "0")) }
            return Double(intStart > start ? -v : v)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        guard let d = Double(text), d.isFinite else { throw GiveUp() }
        return d
    }

    mutating func int() throws -> Int {
        let d = try number()
        guard lastWasIntegral, let n = Int(exactly: d) else { throw GiveUp() }
        return n
    }

    mutating func bool() throws -> Bool {
        ws()
        if i + 4 <= b.count, b[i] == UInt8(ascii: "t"), b[i + 1] == UInt8(ascii: "r"), b[i + 2] == UInt8(ascii: "u"), b[i + 3] == UInt8(ascii: "e") {
            i += 4
            return true
        }
        if i + 5 <= b.count, b[i] == UInt8(ascii: "f"), b[i + 1] == UInt8(ascii: "a"), b[i + 2] == UInt8(ascii: "l"),
           b[i + 3] == UInt8(ascii: "s"), b[i + 4] == UInt8(ascii: "e") {
            i += 5
            return false
        }
        throw GiveUp()
    }

    /// `null` is read as nil (synthesized Codable writes optionals by leaving the key out, but
    /// decodes `null` as nil too).
    mutating func null() -> Bool {
        ws()
        if i + 4 <= b.count, b[i] == UInt8(ascii: "n"), b[i + 1] == UInt8(ascii: "u"), b[i + 2] == UInt8(ascii: "l"), b[i + 3] == UInt8(ascii: "l") {
            i += 4
            return true
        }
        return false
    }

    mutating func optionalString() throws -> String? { null() ? nil : try string() }

    mutating func strings() throws -> [String] {
        try eat(UInt8(ascii: "["))
        var out: [String] = []
        if peek(UInt8(ascii: "]")) { i += 1; return out }
        while true {
            out.append(try string())
            if peek(UInt8(ascii: ",")) { i += 1; continue }
            try eat(UInt8(ascii: "]"))
            return out
        }
    }

    mutating func stringMap() throws -> [String: String] {
        var out: [String: String] = [:]
        try object { r, key in
            // A repeated key is JSONDecoder's to judge.
            guard out.updateValue(try r.string(), forKey: key) == nil else { throw GiveUp() }
        }
        return out
    }

    mutating func clockRun() throws -> ClockRun {
        var clock: String?, run: Int?
        try object { r, key in
            switch key {
            case "clock" where clock == nil: clock = try r.string()
            case "run" where run == nil: run = try r.int()
            default: throw GiveUp()
            }
        }
        guard let clock, let run else { throw GiveUp() }
        return ClockRun(clock: clock, run: run)
    }

    mutating func optionalClockRun() throws -> ClockRun? { null() ? nil : try clockRun() }

    /// `{"workingDays":{"_0":3,"_1":"end_of_day"}}` or `{"workingMinutes":{"_0":240}}`, as synthesized Codable writes it.
    mutating func clockLength() throws -> ClockLength {
        var result: ClockLength?
        try object { r, name in
            guard result == nil else { throw GiveUp() }
            var n: Int?, end: ClockLength.DayEnd?
            try r.object { r, key in
                switch key {
                case "_0" where n == nil: n = try r.int()
                case "_1" where end == nil && name == "workingDays":
                    guard let e = ClockLength.DayEnd(rawValue: try r.string()) else { throw GiveUp() }
                    end = e
                default: throw GiveUp()
                }
            }
            switch name {
            case "workingDays":
                guard let n, let end else { throw GiveUp() }
                result = .workingDays(n, end)
            case "workingMinutes":
                guard let n else { throw GiveUp() }
                result = .workingMinutes(n)
            default: throw GiveUp()
            }
        }
        guard let result else { throw GiveUp() }
        return result
    }

    mutating func optionalClockLength() throws -> ClockLength? { null() ? nil : try clockLength() }

    mutating func subject() throws -> ScoreSubject {
        var kind: ScoreSubject.Kind?, id: String?
        try object { r, key in
            switch key {
            case "kind" where kind == nil:
                guard let k = ScoreSubject.Kind(rawValue: try r.string()) else { throw GiveUp() }
                kind = k
            case "id" where id == nil: id = try r.string()
            default: throw GiveUp()
            }
        }
        guard let kind, let id else { throw GiveUp() }
        return ScoreSubject(kind, id)
    }

    /// The whole body: one key (the case) whose value holds the associated values.
    mutating func body() throws -> EventBody {
        var result: EventBody?
        try object { r, name in
            guard result == nil else { throw GiveUp() }
            result = try r.payload(name)
        }
        ws()
        guard let result, i == b.count else { throw GiveUp() }
        return result
    }

    // The associated values, by label (`_0` for the unlabelled first value). Every label has
    // one type across the cases; a label that is not a case's own is read and then ignored, as
    // the synthesized decoder ignores unknown keys.
    private struct Values {
        var number, state, id, from, to, unit, reason, person, approver, cause, fileName, mediaType, sha256, by: String?
        var startedAt, dueAt, remaining, occurredAt, points: Double?
        var step, size: Int?
        var fields: [String: String]?
        var late: Bool?
        var recipients: [String]?
        var run: ClockRun?  // `_0`, or `run` of a violation
        var subject: ScoreSubject?
        var length: ClockLength?
    }

    mutating func payload(_ name: String) throws -> EventBody {
        var v = Values()
        var seen: UInt32 = 0
        func mark(_ bit: UInt32) throws {
            guard seen & bit == 0 else { throw GiveUp() }  // a repeated key is JSONDecoder's to judge
            seen |= bit
        }
        try object { r, key in
            switch key {
            case "number": try mark(1 << 0); v.number = try r.optionalString()
            case "state": try mark(1 << 1); v.state = try r.optionalString()
            case "id": try mark(1 << 2); v.id = try r.optionalString()
            case "from": try mark(1 << 3); v.from = try r.optionalString()
            case "to": try mark(1 << 4); v.to = try r.optionalString()
            case "unit": try mark(1 << 5); v.unit = try r.optionalString()
            case "reason": try mark(1 << 6); v.reason = try r.optionalString()
            case "person": try mark(1 << 7); v.person = try r.optionalString()
            case "approver": try mark(1 << 8); v.approver = try r.optionalString()
            case "cause": try mark(1 << 9); v.cause = try r.optionalString()
            case "startedAt": try mark(1 << 10); v.startedAt = try r.number()
            case "dueAt": try mark(1 << 11); v.dueAt = try r.number()
            case "remaining": try mark(1 << 12); v.remaining = try r.number()
            case "occurredAt": try mark(1 << 13); v.occurredAt = try r.number()
            case "points": try mark(1 << 14); v.points = try r.number()
            case "step": try mark(1 << 15); v.step = try r.int()
            case "fields": try mark(1 << 16); v.fields = try r.stringMap()
            case "late": try mark(1 << 17); v.late = try r.bool()
            case "recipients": try mark(1 << 18); v.recipients = try r.strings()
            case "_0": try mark(1 << 19); v.run = try r.optionalClockRun()
            case "run": try mark(1 << 20); v.run = try r.optionalClockRun()
            case "subject": try mark(1 << 21); v.subject = try r.subject()
            case "fileName": try mark(1 << 22); v.fileName = try r.optionalString()
            case "mediaType": try mark(1 << 23); v.mediaType = try r.optionalString()
            case "size": try mark(1 << 24); v.size = try r.int()
            case "sha256": try mark(1 << 25); v.sha256 = try r.optionalString()
            case "by": try mark(1 << 26); v.by = try r.optionalString()
            case "length": try mark(1 << 27); v.length = try r.optionalClockLength()
            default: throw GiveUp()  // a key no case has: JSONDecoder's job
            }
        }
        // `_0` and `run` both land in `run`: only the clock cases have `_0`, only a violation `run`.
        let clockCase = name.hasPrefix("clock") || name.hasPrefix("extension") || name == "reminder" || name == "escalation"
        if (seen & (1 << 19) != 0) != clockCase || (seen & (1 << 20) != 0 && name != "violation") { throw GiveUp() }
        func need<T>(_ x: T?) throws -> T { guard let x else { throw GiveUp() }; return x }
        func date(_ x: Double?) throws -> Date { Date(timeIntervalSinceReferenceDate: try need(x)) }
        switch name {
        case "intake": return .intake(number: try need(v.number), state: try need(v.state), fields: try need(v.fields))
        case "transition": return .transition(id: try need(v.id), from: try need(v.from), to: try need(v.to), fields: try need(v.fields))
        case "routed": return .routed(unit: try need(v.unit), reason: try need(v.reason))
        case "closed": return .closed(state: try need(v.state))
        case "assigned": return .assigned(person: try need(v.person))
        case "clockStarted": return .clockStarted(try need(v.run), startedAt: try date(v.startedAt), dueAt: try date(v.dueAt))
        case "clockStopped": return .clockStopped(try need(v.run), late: try need(v.late))
        case "clockPaused": return .clockPaused(try need(v.run), remaining: try need(v.remaining))
        case "clockResumed": return .clockResumed(try need(v.run), dueAt: try date(v.dueAt))
        case "clockExtended":
            return .clockExtended(try need(v.run), dueAt: try date(v.dueAt), reason: try need(v.reason), approver: try need(v.approver), length: v.length)
        case "reminder":
            return .reminder(try need(v.run), step: try need(v.step), dueAt: try date(v.dueAt), recipients: try need(v.recipients))
        case "escalation":
            return .escalation(try need(v.run), step: try need(v.step), dueAt: try date(v.dueAt), recipients: try need(v.recipients))
        case "violation":
            return .violation(id: try need(v.id), run: v.run, unit: try need(v.unit), person: v.person, occurredAt: try date(v.occurredAt))
        case "outcome": return .outcome(id: try need(v.id), unit: v.unit, person: v.person)
        case "deduction":
            return .deduction(cause: try need(v.cause), subject: try need(v.subject), points: try need(v.points), occurredAt: try date(v.occurredAt))
        case "attachmentAdded":
            return .attachmentAdded(fileName: try need(v.fileName), mediaType: try need(v.mediaType), size: try need(v.size),
                                    sha256: try need(v.sha256))
        case "extensionRequested": return .extensionRequested(try need(v.run), length: try need(v.length), reason: try need(v.reason))
        case "extensionDeclined": return .extensionDeclined(try need(v.run), reason: try need(v.reason), by: try need(v.by))
        default: throw GiveUp()
        }
    }
}

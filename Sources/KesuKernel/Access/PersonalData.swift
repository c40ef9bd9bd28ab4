import Foundation

/// The complainant's personal data and its masking. The procedures require the complaint office
/// to keep complaints confidential and never to disclose the complainant's privacy (保密); so the
/// complainant's name, phone and any pack field declared `personal: true` leave the system
/// masked for everyone whose roles do not grant `personal_data`.
public enum PersonalData {
    /// The built-in personal fields every pack has.
    public static let builtInFields: Set<String> = ["complainant_name", "complainant_phone"]

    /// Keeps the first character and masks the rest, one `*` each: 张三 → 张*, 欧阳娜娜 → 欧***.
    /// A one-character name is masked entirely (keeping it would reveal all of it).
    public static func maskName(_ s: String) -> String {
        let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let first = t.first else { return "" }
        if t.count == 1 { return "*" }
        return String(first) + String(repeating: "*", count: t.count - 1)
    }

    /// Masks the digits of a phone number, keeping separators and a country prefix:
    /// a mobile number keeps its first 3 and last 4 digits (13812345678 → 138****5678,
    /// +86 138 1234 5678 → +86 138 **** 5678); any other number shows at most half its digits,
    /// at most the first 3 and the last 2–4 (0871-65123456 → 087*-*****456, 65123456 → 65****56).
    /// Text without digits is masked like a name.
    public static func maskPhone(_ s: String) -> String {
        let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
        let chars = Array(t)
        let digitPositions = chars.indices.filter { chars[$0].isASCII && chars[$0].isNumber }
        let n = digitPositions.count
        guard n > 0 else { return maskName(t) }
        let digits = String(digitPositions.map { chars[$0] })
        // Digit ordinals (0-based among the digits) that stay readable.
        var shown = Set<Int>()
        let mobileStart: Int? =
            if n == 11, digits.hasPrefix("1") { 0 }
            else if n == 13, digits.hasPrefix("861") { 2 }
            else if n == 15, digits.hasPrefix("00861") { 4 }
            else { nil }
        if let start = mobileStart {
            shown.formUnion(0..<start)                       // the country prefix
            shown.formUnion(start..<(start + 3))
            shown.formUnion((n - 4)..<n)
        } else {
            let budget = n / 2
            let head: Int, tail: Int
            if budget >= 5 {
                head = 3; tail = min(4, budget - 3)
            } else {
                head = budget / 2; tail = budget - head
            }
            shown.formUnion(0..<head)
            shown.formUnion((n - tail)..<n)
        }
        var out = chars
        for (ordinal, position) in digitPositions.enumerated() where !shown.contains(ordinal) { out[position] = "*" }
        return String(out)
    }

    /// A phone number as search compares it: its digits only (full-width digits read as ASCII;
    /// spaces, dashes, brackets and `+` dropped), and a mobile number without its country code
    /// (`+86 138 1234 5678`, `0086-13812345678` → `13812345678`: 13 digits starting 861, or 15
    /// starting 00861). Nil when there is no digit. The stores keep each case's phone so, and the
    /// PostgreSQL migration that fills old cases repeats these rules in SQL.
    public static func normalisedPhone(_ s: String) -> String? {
        var digits = ""
        for u in s.unicodeScalars {
            switch u.value {
            case 0x30...0x39: digits.unicodeScalars.append(u)
            case 0xFF10...0xFF19: digits.unicodeScalars.append(Unicode.Scalar(u.value - 0xFF10 + 0x30)!)
            default: break
            }
        }
        guard !digits.isEmpty else { return nil }
        if digits.count == 13, digits.hasPrefix("861") { return String(digits.dropFirst(2)) }
        if digits.count == 15, digits.hasPrefix("00861") { return String(digits.dropFirst(4)) }
        return digits
    }

    /// `complainant_name`, `complainant_phone` and the pack's fields declared `personal: true`.
    public static func personalFields(in pack: RulePack) -> Set<String> {
        builtInFields.union(pack.fields.filter(\.personal).map(\.id))
    }

    /// The fields with every personal value masked: phone-like ones with `maskPhone`, the others
    /// with `maskName`. Other fields are unchanged.
    public static func redact(_ fields: [String: String], pack: RulePack) -> [String: String] {
        redact(fields, personalFields: personalFields(in: pack))
    }

    public static func redact(_ fields: [String: String], personalFields: Set<String>) -> [String: String] {
        var out = fields
        for (k, v) in fields where personalFields.contains(k) { out[k] = mask(field: k, value: v) }
        return out
    }

    /// One personal value masked as its field calls for.
    public static func mask(field: String, value: String) -> String {
        if value.isEmpty { return value }
        return isPhoneLike(field: field, value: value) ? maskPhone(value) : maskName(value)
    }

    /// A field named like a phone (phone, tel, mobile, fax), or a value that is mostly digits
    /// (an id card or account number declared personal).
    static func isPhoneLike(field: String, value: String) -> Bool {
        let id = field.lowercased()
        if ["phone", "tel", "mobile", "fax"].contains(where: { id.contains($0) }) { return true }
        let digits = value.filter { $0.isASCII && $0.isNumber }.count
        return digits >= 5 && digits * 2 >= value.count
    }
}

extension CaseState {
    /// The case as `viewer` may see it: unchanged for a viewer with `personal_data`, else with
    /// the complainant's personal fields masked.
    public func redacted(for viewer: Principal, pack: RulePack) -> CaseState {
        if viewer.has(.personalData) { return self }
        var s = self
        s.fields = PersonalData.redact(fields, pack: pack)
        return s
    }
}

extension Event {
    /// The event with the personal fields' values masked in an intake or a transition.
    public func redacted(personalFields: Set<String>, pack: RulePack) -> Event {
        var e = self
        switch body {
        case let .intake(number, state, fields):
            e.body = .intake(number: number, state: state, fields: PersonalData.redact(fields, personalFields: personalFields))
        case let .transition(id, from, to, fields):
            e.body = .transition(id: id, from: from, to: to, fields: PersonalData.redact(fields, personalFields: personalFields))
        default:
            break
        }
        return e
    }
}

import Foundation

/// Names one recommendation: a period and whose deductions, e.g. `2026Q3-person-yang_fan`,
/// `2026-10-unit-logistics_center`. Printable and typeable; the same subject and period always
/// give the same id, whichever threshold is hit.
public struct PenaltyID: Sendable, Hashable, CustomStringConvertible {
    /// A period label: `2026`, `2026Q3` or `2026-10`.
    public var period: String
    public var subject: ScoreSubject

    public init(period: String, subject: ScoreSubject) { self.period = period; self.subject = subject }

    public var description: String { "\(period)-\(subject.kind.rawValue)-\(subject.id)" }

    /// The record stream of this recommendation's decisions.
    public var stream: String { Self.streamPrefix + description }
    public static let streamPrefix = "penalty:"

    /// Parses `PERIOD-person-ID` or `PERIOD-unit-ID` (the period's letters in either case).
    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        let marks = Self.kinds.compactMap { kind in t.range(of: "-\(kind.rawValue)-").map { (kind, $0) } }
        guard let (kind, range) = marks.min(by: { $0.1.lowerBound < $1.1.lowerBound }) else { return nil }
        let period = t[..<range.lowerBound].uppercased()
        let id = String(t[range.upperBound...])
        guard Self.isPeriodLabel(period), !id.isEmpty else { return nil }
        self.init(period: period, subject: ScoreSubject(kind, id))
    }

    /// Whose deductions a recommendation can be about, in listing order.
    public static let kinds: [ScoreSubject.Kind] = [.person, .unit]

    /// `2026`, `2026Q1`…`2026Q4`, `2026-01`…`2026-12`.
    static func isPeriodLabel(_ p: String) -> Bool {
        let c = Array(p)
        func digits(_ s: ArraySlice<Character>) -> Int? { s.allSatisfy { $0.isASCII && $0.isNumber } ? Int(String(s)) : nil }
        guard c.count >= 4, digits(c[0..<4]) != nil else { return false }
        switch c.count {
        case 4: return true
        case 6: return c[4] == "Q" && ("1"..."4").contains(c[5])
        case 7: return c[4] == "-" && digits(c[5...]).map { (1...12).contains($0) } == true
        default: return false
        }
    }
}

/// One deduction behind a recommendation, as it stood when the recommendation was read.
public struct PenaltyEvidence: Sendable, Codable, Equatable {
    public var caseNumber: String
    /// `violation:late_answer` or `outcome:substantiated_fault`.
    public var cause: String
    /// The violation's or outcome's label (`未按时处理`).
    public var causeName: String
    /// The scoring rule that took the points.
    public var rule: String
    public var points: Double
    public var occurredAt: Date
    public var packVersion: String

    public init(caseNumber: String, cause: String, causeName: String, rule: String, points: Double, occurredAt: Date, packVersion: String) {
        self.caseNumber = caseNumber; self.cause = cause; self.causeName = causeName; self.rule = rule
        self.points = points; self.occurredAt = occurredAt; self.packVersion = packVersion
    }
}

/// A penalty the pack's thresholds recommend for one subject's deductions in one period: the
/// written report a superior decides on. Derived from the deduction events, never stored.
public struct PenaltyRecommendation: Sendable, Equatable {
    public var id: PenaltyID
    public var period: Period
    public var subjectName: String
    /// The unit a person belongs to (nil for a unit).
    public var unit: String?
    public var baseline: Double
    public var deducted: Double
    public var evidence: [PenaltyEvidence]
    /// The penalty of the ladder recommended, and its label.
    public var penalty: String
    public var penaltyName: String
    /// The threshold hit, and its points.
    public var threshold: String
    public var thresholdPoints: Double
}

// MARK: - What is recorded

/// The kinds of record in a `penalty:` stream, in the order they may happen.
public enum PenaltyRecordType {
    public static let decided = "decided"
    public static let appealed = "appealed"
    public static let appealDecided = "appeal_decided"
}

/// `decided`: a superior's decision on a recommendation, with the recommendation and its evidence
/// as they stood, and every name as it read then, so the record (and its notice) stays readable
/// whatever later happens to the pack.
public struct PenaltyDecision: Sendable, Codable, Equatable {
    /// The decision not to penalise. It has no label in the pack: front ends name it
    /// (KesuRendering's `decisionLabel`); records before this version carry the name they showed.
    public static let dismissed = "no_penalty"

    public var period: String
    public var periodStart: Date
    public var periodEnd: Date
    public var subject: ScoreSubject
    public var subjectName: String
    public var unit: String?
    public var unitName: String?
    /// A penalty id of the ladder, or `no_penalty`.
    public var decision: String
    /// The ladder penalty's label as it read then; nil for `no_penalty`.
    public var decisionName: String?
    public var recommended: String
    public var recommendedName: String
    public var threshold: String
    public var thresholdPoints: Double
    public var baseline: Double
    /// The points deducted in the period, the evidence's total.
    public var points: Double
    public var evidence: [PenaltyEvidence]
    public var reason: String
    public var decidedBy: String
    public var decidedByName: String
    /// The role the decision was taken in, and its label.
    public var decidedAs: String
    public var decidedAsName: String
    /// The end of the appeal window (nil: the pack declared no appeal, the decision is final).
    public var appealDeadline: Date?
    public var appealWithinWorkingDays: Int?

    public var isDismissal: Bool { decision == Self.dismissed }
}

/// `appealed`: the decision is contested.
public struct PenaltyAppeal: Sendable, Codable, Equatable {
    public var by: String
    public var byName: String
    public var reason: String
}

public enum PenaltyAppealOutcome: String, Sendable, Codable, CaseIterable {
    /// The decision stands.
    case upheld
    /// Another penalty of the ladder replaces it.
    case changed
    /// No penalty after all.
    case revoked
}

/// `appeal_decided`: the outcome of an appeal and the penalty in force after it.
public struct PenaltyAppealDecision: Sendable, Codable, Equatable {
    public var outcome: PenaltyAppealOutcome
    /// The penalty in force after the appeal (`no_penalty` when revoked).
    public var decision: String
    /// The ladder penalty's label as it read then; nil for `no_penalty`.
    public var decisionName: String?
    public var reason: String
    public var decidedBy: String
    public var decidedByName: String
}

/// The bodies of penalty records: JSON with snake_case keys and dates as seconds since 2001 (exact).
enum PenaltyCodec {
    static func encode(_ value: some Encodable) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try e.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ record: RecordEvent) throws -> T {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try d.decode(type, from: Data(record.body.utf8))
        } catch {
            throw StoreError.failure(operation: "read record \(record.seq) of \(record.stream)", detail: "\(error)")
        }
    }
}

// MARK: - A recommendation and what became of it

/// A recommendation with its recorded history: decided, perhaps appealed, perhaps the appeal decided.
public struct PenaltyProceeding: Sendable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// Recommended, not decided yet.
        case open
        /// Decided; an appeal is still possible.
        case decided
        /// An appeal awaits its decision.
        case appealed
        /// Nothing more can happen: decided with no appeal possible (none declared, dismissed, or the
        /// window passed), or the appeal decided.
        case final
    }

    public var id: PenaltyID
    /// The recommendation as the deductions give it now (nil if the thresholds no longer recommend
    /// anything, e.g. after the pack changed: the recorded decision still holds).
    public var recommendation: PenaltyRecommendation?
    /// The `penalty:` stream, in order: the audit trail.
    public var history: [RecordEvent]
    public private(set) var decision: PenaltyDecision?
    public private(set) var decidedAt: Date?
    public private(set) var appeal: PenaltyAppeal?
    public private(set) var appealedAt: Date?
    public private(set) var appealDecision: PenaltyAppealDecision?
    public private(set) var appealDecidedAt: Date?

    public init(id: PenaltyID, recommendation: PenaltyRecommendation?, history: [RecordEvent]) throws {
        self.id = id; self.recommendation = recommendation; self.history = history
        for r in history {
            switch r.type {
            case PenaltyRecordType.decided: decision = try PenaltyCodec.decode(PenaltyDecision.self, r); decidedAt = r.at
            case PenaltyRecordType.appealed: appeal = try PenaltyCodec.decode(PenaltyAppeal.self, r); appealedAt = r.at
            case PenaltyRecordType.appealDecided:
                appealDecision = try PenaltyCodec.decode(PenaltyAppealDecision.self, r); appealDecidedAt = r.at
            default: continue   // a later kind of record this version does not know
            }
        }
    }

    public func status(at now: Date) -> Status {
        guard let decision else { return .open }
        if appealDecision != nil { return .final }
        if appeal != nil { return .appealed }
        if decision.isDismissal { return .final }
        guard let deadline = decision.appealDeadline, now <= deadline else { return .final }
        return .decided
    }

    /// The penalty in force: the appeal's result if there was one, else the decision (nil: open).
    public var penaltyInForce: String? { appealDecision?.decision ?? decision?.decision }

    /// Who and what, from the recommendation or, once decided, as recorded.
    public var subjectName: String { decision?.subjectName ?? recommendation?.subjectName ?? id.subject.id }
}

import Foundation
import KesuKernel

/// What one sweep did — cases examined, what fired, the cases it skipped and why, periodic-report
/// reminders and late records, and the outbox delivery after it — as `kesu sweep --json` prints
/// it and `POST /v1/sweep` answers it.
public struct SweepReportView: Sendable, Equatable, Codable {
    public struct Fired: Sendable, Equatable, Codable {
        public var `case`: String
        /// `reminder`, `escalation` or `violation`.
        public var type: String
        public var ruleID: String?
        public var recipients: [String]
        public var violation: String?
        /// When the step or the violation fell due.
        public var dueAt: ViewTime?
        enum CodingKeys: String, CodingKey { case `case`, type, ruleID = "rule_id", recipients, violation, dueAt = "due_at" }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(`case`, forKey: .case); try c.encode(type, forKey: .type); try c.encode(ruleID, forKey: .ruleID)
            try c.encode(recipients, forKey: .recipients); try c.encode(violation, forKey: .violation); try c.encode(dueAt, forKey: .dueAt)
        }
    }

    public struct Skipped: Sendable, Equatable, Codable {
        public var `case`: String
        /// `rules_unavailable`, `conflict` or `failed`.
        public var code: String
        public var reason: String
        /// When the sweep looks at the case again.
        public var retryAt: ViewTime?
        enum CodingKeys: String, CodingKey { case `case`, code, reason, retryAt = "retry_at" }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(`case`, forKey: .case); try c.encode(code, forKey: .code); try c.encode(reason, forKey: .reason)
            try c.encode(retryAt, forKey: .retryAt)
        }
    }

    public struct ReportItem: Sendable, Equatable, Codable {
        /// `reminded` or `late`.
        public var type: String
        public var report: String
        public var period: String
        public var unit: String
        public var dueAt: ViewTime
        public var recipients: [String]
        enum CodingKeys: String, CodingKey { case type, report, period, unit, dueAt = "due_at", recipients }
    }

    public struct Delivery: Sendable, Equatable, Codable {
        public struct Attempt: Sendable, Equatable, Codable {
            public var id: Int64
            public var channel: String
            /// `delivered`, `retrying`, `failed` or `unknown_channel`.
            public var outcome: String
            public var error: String?
            public var nextAttemptAt: ViewTime?
            enum CodingKeys: String, CodingKey { case id, channel, outcome, error, nextAttemptAt = "next_attempt_at" }
            public func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(id, forKey: .id); try c.encode(channel, forKey: .channel); try c.encode(outcome, forKey: .outcome)
                try c.encode(error, forKey: .error); try c.encode(nextAttemptAt, forKey: .nextAttemptAt)
            }
        }
        public var delivered: Int
        public var retrying: Int
        public var failed: Int
        public var attempts: [Attempt]

        public init(_ d: DeliveryReport, zone: TimeZone) {
            delivered = d.delivered; retrying = d.retrying; failed = d.failed
            attempts = d.attempts.map {
                Attempt(id: $0.id, channel: $0.channel, outcome: $0.outcome.rawValue, error: $0.error,
                        nextAttemptAt: $0.nextAttemptAt.map { ViewTime($0, zone: zone) })
            }
        }
    }

    /// What the holiday calendar asked of this sweep: clocks re-planned on a changed calendar, and the coverage
    /// notice to the administrators.
    public struct CalendarPart: Sendable, Equatable, Codable {
        public struct Moved: Sendable, Equatable, Codable {
            public var `case`: String
            /// `answer#1`.
            public var run: String
            public var from: ViewTime
            public var to: ViewTime
            enum CodingKeys: String, CodingKey { case `case`, run, from, to }
        }
        /// Fingerprint of the calendar in force.
        public var calendar: String
        /// True when this sweep adopted a changed calendar and re-planned running clocks on it.
        public var adopted: Bool
        public var moved: [Moved]
        /// Days of official coverage left, counting today (0: today is not covered).
        public var coverageDaysLeft: Int
        /// The last day the official calendar covers (`2026-12-31`); null when today is not covered.
        public var coverageEnd: String?
        public var noticeSent: Bool
        enum CodingKeys: String, CodingKey {
            case calendar, adopted, moved, coverageDaysLeft = "coverage_days_left", coverageEnd = "coverage_end", noticeSent = "notice_sent"
        }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(calendar, forKey: .calendar); try c.encode(adopted, forKey: .adopted); try c.encode(moved, forKey: .moved)
            try c.encode(coverageDaysLeft, forKey: .coverageDaysLeft); try c.encode(coverageEnd, forKey: .coverageEnd)
            try c.encode(noticeSent, forKey: .noticeSent)
        }

        public init(_ r: CalendarDutiesReport, zone: TimeZone) {
            calendar = r.calendar; adopted = r.adopted
            moved = r.moved.map { Moved(case: $0.caseNumber, run: $0.run, from: ViewTime($0.from, zone: zone), to: ViewTime($0.to, zone: zone)) }
            coverageDaysLeft = r.coverageDaysLeft; coverageEnd = r.coverageEnd?.description; noticeSent = r.noticeSent
        }
    }

    public var at: ViewTime
    public var casesExamined: Int
    public var fired: [Fired]
    public var skipped: [Skipped]
    /// The skipped cases as lines a person reads.
    public var problems: [String]
    public var reports: [ReportItem]
    public var calendar: CalendarPart?
    public var delivery: Delivery

    enum CodingKeys: String, CodingKey {
        case at, casesExamined = "cases_examined", fired, skipped, problems, reports, calendar, delivery
    }

    public init(cases: Engine.SweepReport, reports: [ReportSweepItem], calendar: CalendarDutiesReport? = nil,
                delivery: DeliveryReport, zone: TimeZone) {
        self.calendar = calendar.map { CalendarPart($0, zone: zone) }
        func t(_ d: Date) -> ViewTime { ViewTime(d, zone: zone) }
        at = t(cases.at)
        casesExamined = cases.casesExamined
        fired = cases.fired.map {
            Fired(case: $0.caseNumber, type: $0.type, ruleID: $0.ruleID, recipients: $0.recipients, violation: $0.violation,
                  dueAt: $0.dueAt.map(t))
        }
        skipped = cases.skipped.map { Skipped(case: $0.caseNumber, code: $0.code.rawValue, reason: $0.reason, retryAt: $0.retryAt.map(t)) }
        problems = cases.problems
        self.reports = reports.map {
            ReportItem(type: $0.kind.rawValue, report: $0.reportID, period: $0.quarter, unit: $0.unit, dueAt: t($0.due), recipients: $0.recipients)
        }
        self.delivery = Delivery(delivery, zone: zone)
    }
}

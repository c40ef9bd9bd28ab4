import Foundation

/// Something that happened to a case. A case's state is the fold of its events; events are
/// only ever appended. Every event records who, when, the pack version in force and, where a
/// rule decided something, that rule's id.
public struct Event: Sendable, Codable, Equatable {
    /// Set by the store when the case is created.
    public var caseID: Int64
    /// 1-based position in the case's history; the store refuses a gap or a repeat.
    public var seq: Int
    public var at: Date
    /// A person id from the pack, or `system` for the sweep.
    public var actor: String
    /// The routing rule, clock, ladder step or scoring rule that decided this event.
    public var ruleID: String?
    public var packVersion: String
    public var body: EventBody

    public init(caseID: Int64 = 0, seq: Int = 0, at: Date, actor: String, ruleID: String? = nil, packVersion: String, body: EventBody) {
        self.caseID = caseID; self.seq = seq; self.at = at; self.actor = actor; self.ruleID = ruleID
        self.packVersion = packVersion; self.body = body
    }

    /// The short type name stored beside the JSON body, for queries.
    public var type: String { body.type }

    public static let systemActor = "system"
}

/// Identifies one run of a clock: a clock restarts on re-dispatch, each start is a new run.
public struct ClockRun: Sendable, Codable, Hashable, CustomStringConvertible {
    public var clock: String
    public var run: Int
    public init(clock: String, run: Int) { self.clock = clock; self.run = run }
    public var description: String { "\(clock)#\(run)" }
}

public enum EventBody: Sendable, Codable, Equatable {
    /// The case was registered with these fields, in the procedure's initial state.
    case intake(number: String, state: String, fields: [String: String])
    case transition(id: String, from: String, to: String, fields: [String: String])
    /// The handling unit was set, by a routing rule (`ruleID`) or by hand (`manual`).
    case routed(unit: String, reason: String)
    /// The case reached a final state; every clock has stopped.
    case closed(state: String)
    case assigned(person: String)
    case clockStarted(ClockRun, startedAt: Date, dueAt: Date)
    case clockStopped(ClockRun, late: Bool)
    /// Paused with this much business time left (seconds).
    case clockPaused(ClockRun, remaining: Double)
    case clockResumed(ClockRun, dueAt: Date)
    /// `length` is what was granted; events written before it was recorded have none.
    case clockExtended(ClockRun, dueAt: Date, reason: String, approver: String, length: ClockLength? = nil)
    /// The holiday calendar changed (a draft replaced by the State Council's notice, a region's days added) and
    /// the running clock was counted again on it: due at `dueAt` instead of `previousDueAt`. `calendar` is the new
    /// calendar's fingerprint (`CalendarRules.daysFingerprint`).
    case clockReplanned(ClockRun, dueAt: Date, previousDueAt: Date, calendar: String)
    /// A ladder step fired: reminders and escalations go to these people.
    case reminder(ClockRun, step: Int, dueAt: Date, recipients: [String])
    case escalation(ClockRun, step: Int, dueAt: Date, recipients: [String])
    /// A violation by a unit (and, when known, a person). `occurredAt` is when it happened,
    /// which decides the scoring period even if the sweep noticed it later.
    case violation(id: String, run: ClockRun?, unit: String, person: String?, occurredAt: Date)
    case outcome(id: String, unit: String?, person: String?)
    /// Points taken off a unit or a person by a scoring rule (`ruleID`), because of `cause`.
    case deduction(cause: String, subject: ScoreSubject, points: Double, occurredAt: Date)
    /// A file (a letter, a photo, a recording) was attached to the case. The content is kept once per
    /// content, in the record stream `attachments/<sha256>` (`Engine.attachmentStream`); the event says
    /// which content, under what name and type.
    case attachmentAdded(fileName: String, mediaType: String, size: Int, sha256: String)
    /// The person working the case (the actor) asks an approver for `length` more on this run. It stays pending
    /// until a `clockExtended` of the run grants it, an `extensionDeclined` declines it, or the run stops.
    case extensionRequested(ClockRun, length: ClockLength, reason: String)
    /// An approver (`by`) declined the pending extension request of this run, with a reason.
    case extensionDeclined(ClockRun, reason: String, by: String)

    public var type: String {
        switch self {
        case .intake: "intake"
        case .transition: "transition"
        case .routed: "routed"
        case .closed: "closed"
        case .assigned: "assigned"
        case .clockStarted: "clock_started"
        case .clockStopped: "clock_stopped"
        case .clockPaused: "clock_paused"
        case .clockResumed: "clock_resumed"
        case .clockExtended: "clock_extended"
        case .clockReplanned: "clock_replanned"
        case .reminder: "reminder"
        case .escalation: "escalation"
        case .violation: "violation"
        case .outcome: "outcome"
        case .deduction: "deduction"
        case .attachmentAdded: "attachment_added"
        case .extensionRequested: "extension_requested"
        case .extensionDeclined: "extension_declined"
        }
    }
}

/// Who loses points: a unit or a person.
public struct ScoreSubject: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable { case unit, person }
    public var kind: Kind
    public var id: String
    public init(_ kind: Kind, _ id: String) { self.kind = kind; self.id = id }
}

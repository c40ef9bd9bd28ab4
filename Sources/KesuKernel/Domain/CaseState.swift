import Foundation

/// A case as its events make it. Never stored as the truth: the store keeps a projection of
/// it for queries, and the engine folds the events again before every command.
public struct CaseState: Sendable, Equatable {
    public var id: Int64 = 0
    public var number: String = ""
    public var state: String = ""
    public var fields: [String: String] = [:]
    public var handlingUnit: String?
    /// The routing rule that chose the handling unit, or `manual`.
    public var routingRule: String?
    public var assignee: String?
    /// Who held the case from when: one entry per change of handling unit or assignee, oldest
    /// first. A violation is charged to whoever held the case when it fell due, not to whoever
    /// holds it when the violation is finally recorded (a late stop, a late sweep).
    public var handlers: [Handler] = []
    public var intakeActor: String = ""
    public var openedAt: Date = .distantPast
    public var updatedAt: Date = .distantPast
    public var closedAt: Date?
    public var clocks: [String: ClockState] = [:]
    public var violations: [ViolationRecord] = []
    public var outcomes: [String] = []
    /// The files attached to the case, oldest first.
    public var attachments: [CaseAttachment] = []
    /// The rules the case runs under: those in force at intake, until a transition that
    /// adopts the current rules.
    public var packVersion: String = ""
    /// Number of events: the version a command is based on.
    public var version: Int = 0

    public init() {}

    public init(events: [Event]) {
        self.init()
        for e in events { apply(e) }
    }

    public var isClosed: Bool { closedAt != nil }

    /// The handling unit and assignee from `since` until the next entry.
    public struct Handler: Sendable, Equatable {
        public var since: Date
        public var unit: String?
        public var assignee: String?
    }

    /// Who held the case at `instant` (changes made at that very instant included); nil before it was first routed or assigned.
    public func handler(at instant: Date) -> Handler? {
        handlers.last { $0.since <= instant }
    }

    mutating func noteHandler(at instant: Date) {
        guard handlers.last.map({ $0.unit != handlingUnit || $0.assignee != assignee }) ?? true else { return }
        handlers.append(Handler(since: instant, unit: handlingUnit, assignee: assignee))
    }

    public var runningClocks: [ClockState] {
        clocks.values.filter { $0.status == .running }.sorted { $0.dueAt < $1.dueAt }
    }

    /// The earliest due time of a running clock: a case past it is overdue.
    public var earliestDue: Date? { runningClocks.first?.dueAt }

    public mutating func apply(_ e: Event) {
        version = e.seq > 0 ? e.seq : version + 1
        updatedAt = e.at
        switch e.body {
        case let .intake(number, state, fields):
            id = e.caseID
            self.number = number
            self.state = state
            self.fields = fields
            intakeActor = e.actor
            openedAt = e.at
            packVersion = e.packVersion
        case let .transition(_, _, to, fields):
            state = to
            // A transition is planned under the case's own rules, or moves the case onto the
            // current rules when the pack says so (`adopt_current_rules`).
            if !e.packVersion.isEmpty { packVersion = e.packVersion }
            for (k, v) in fields { self.fields[k] = v.isEmpty ? nil : v }
        case let .routed(unit, _):
            // A case sent to another unit is that unit's to accept: the old assignee no longer holds it.
            if let current = handlingUnit, current != unit { assignee = nil }
            handlingUnit = unit
            routingRule = e.ruleID
            noteHandler(at: e.at)
        case let .assigned(person):
            assignee = person
            noteHandler(at: e.at)
        case let .clockStarted(run, startedAt, dueAt):
            clocks[run.clock] = ClockState(run: run, startedAt: startedAt, dueAt: dueAt)
        case let .clockStopped(run, late):
            clocks[run.clock]?.status = .stopped
            clocks[run.clock]?.stoppedAt = e.at
            clocks[run.clock]?.late = late
            clocks[run.clock]?.pendingRequest = nil
        case let .clockPaused(run, remaining):
            clocks[run.clock]?.status = .paused
            clocks[run.clock]?.remaining = remaining
        case let .clockResumed(run, dueAt):
            clocks[run.clock]?.status = .running
            clocks[run.clock]?.dueAt = dueAt
            clocks[run.clock]?.remaining = nil
        case let .clockExtended(run, dueAt, reason, approver, _):
            clocks[run.clock]?.dueAt = dueAt
            clocks[run.clock]?.extensions.append(ClockState.Extension(at: e.at, dueAt: dueAt, reason: reason, approver: approver))
            // A grant settles the run's pending request, whatever length it granted.
            clocks[run.clock]?.pendingRequest = nil
        case let .clockReplanned(run, dueAt, _, _):
            clocks[run.clock]?.dueAt = dueAt
        case let .reminder(run, step, _, _), let .escalation(run, step, _, _):
            clocks[run.clock]?.firedSteps.insert(step)
        case let .violation(id, run, unit, person, occurredAt):
            violations.append(ViolationRecord(id: id, run: run, unit: unit, person: person, occurredAt: occurredAt))
            if let run { clocks[run.clock]?.violations.insert(id) }
        case let .outcome(id, _, _):
            outcomes.append(id)
        case .closed:
            closedAt = e.at
        case let .attachmentAdded(fileName, mediaType, size, sha256):
            attachments.append(CaseAttachment(fileName: fileName, mediaType: mediaType, size: size, sha256: sha256, addedAt: e.at, addedBy: e.actor))
        case let .extensionRequested(run, length, reason):
            guard clocks[run.clock]?.run == run else { break }
            clocks[run.clock]?.pendingRequest = ClockState.ExtensionRequest(length: length, reason: reason, requester: e.actor, at: e.at)
        case let .extensionDeclined(run, _, _):
            guard clocks[run.clock]?.run == run else { break }
            clocks[run.clock]?.pendingRequest = nil
        case .deduction:
            break
        }
    }
}

public struct ClockState: Sendable, Equatable {
    public enum Status: String, Sendable, Codable { case running, paused, stopped }
    public struct Extension: Sendable, Equatable {
        public var at: Date
        public var dueAt: Date
        public var reason: String
        public var approver: String
    }
    /// An extension asked for and not yet granted or declined.
    public struct ExtensionRequest: Sendable, Equatable {
        public var length: ClockLength
        public var reason: String
        /// The person who asked.
        public var requester: String
        public var at: Date
        public init(length: ClockLength, reason: String, requester: String, at: Date) {
            self.length = length; self.reason = reason; self.requester = requester; self.at = at
        }
    }
    public var run: ClockRun
    public var startedAt: Date
    public var dueAt: Date
    public var status: Status = .running
    public var stoppedAt: Date?
    public var late: Bool = false
    /// Business seconds left while paused.
    public var remaining: Double?
    public var extensions: [Extension] = []
    /// The run's pending extension request: none after a grant, a decline or the clock stopping.
    public var pendingRequest: ExtensionRequest?
    public var firedSteps: Set<Int> = []
    public var violations: Set<String> = []

    public init(run: ClockRun, startedAt: Date, dueAt: Date) {
        self.run = run; self.startedAt = startedAt; self.dueAt = dueAt
    }
}

/// A file attached to a case: what the `attachment_added` event says, with when and by whom.
public struct CaseAttachment: Sendable, Equatable, Codable {
    public var fileName: String
    /// The base type as accepted (`application/pdf`), without parameters.
    public var mediaType: String
    /// Bytes.
    public var size: Int
    /// Lower-case hex SHA-256 of the content: names the content in the store.
    public var sha256: String
    public var addedAt: Date
    /// The person who attached it.
    public var addedBy: String

    public init(fileName: String, mediaType: String, size: Int, sha256: String, addedAt: Date, addedBy: String) {
        self.fileName = fileName; self.mediaType = mediaType; self.size = size; self.sha256 = sha256
        self.addedAt = addedAt; self.addedBy = addedBy
    }
}

public struct ViolationRecord: Sendable, Equatable, Codable {
    public var id: String
    public var run: ClockRun?
    public var unit: String
    public var person: String?
    public var occurredAt: Date
}

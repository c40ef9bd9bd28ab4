import Foundation

/// A message to people about a case (or a periodic report): a reminder, an escalation, a
/// violation. It carries the facts (ids, the clock's real due time, the unit) for integrators
/// and the text people read, which a `NotificationWording` writes from those facts.
public struct Notification: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case reminder, escalation, violation
        /// The official holiday calendar runs out soon (or has): `dueAt` is the first instant it does not
        /// cover, `period` the first year it does not cover; `caseNumber` is the `calendar` stream.
        case calendar
        /// Someone working the case asks for an extension of `clock`: to the people who may grant it; `person` asked.
        case extensionRequest = "extension_request"
        /// A case event for integrators (a subscription matched it): `event` holds it, as docs/integrations.md shows.
        case event
    }
    public var kind: Kind
    /// The outbox item's id, set when the item is handed to a channel: a retried delivery of the
    /// same item has the same id, so a receiver can drop the duplicate. Nil outside the outbox.
    public var id: Int64?
    /// The case number, or the periodic report's stream for report reminders.
    public var caseNumber: String
    /// Person ids.
    public var recipients: [String]
    public var text: String
    /// When the notification was made (the sweep or command that caused it).
    public var at: Date
    /// The clock and its run the notification is about.
    public var clock: String?
    public var run: Int?
    /// The rule that fired it: the ladder step (`ladder#2`) or the clock (for a violation).
    public var rule: String?
    /// The ladder step, 1-based.
    public var step: Int?
    public var violation: String?
    /// The clock's due time when the notification was made (after extensions and pauses), or the
    /// periodic report's due time.
    public var dueAt: Date?
    /// The unit the notification concerns: the clock's owner, the violating unit, the owing unit.
    public var unit: String?
    /// The responsible person, when there is one (a violation's person).
    public var person: String?
    /// Periodic reports: the report id and the quarter (`2026Q4`); calendar notices: the year not covered.
    public var report: String?
    public var period: String?
    /// The case event's JSON (`CaseEvents.json`) for kind `event`; nil for every other kind.
    public var event: JSONValue?

    public init(
        kind: Kind, caseNumber: String, recipients: [String], text: String = "", at: Date, clock: String? = nil,
        run: Int? = nil, rule: String? = nil, step: Int? = nil, violation: String? = nil, dueAt: Date? = nil,
        unit: String? = nil, person: String? = nil, report: String? = nil, period: String? = nil, id: Int64? = nil
    ) {
        self.kind = kind; self.caseNumber = caseNumber; self.recipients = recipients; self.text = text; self.at = at
        self.clock = clock; self.run = run; self.rule = rule; self.step = step; self.violation = violation
        self.dueAt = dueAt; self.unit = unit; self.person = person; self.report = report; self.period = period
        self.id = id
    }

    /// Whether the due time had passed when the notification was made.
    public var isPastDue: Bool { dueAt.map { at >= $0 } ?? false }

    /// The one JSON form every channel sends (exec `notify`, the JSON-lines file, the webhook):
    /// snake_case keys, one name per thing, times ISO-8601 in UTC, absent facts as null. A case event is sent
    /// as the event itself.
    public var payload: JSONValue {
        if kind == .event, let event { return event }
        func time(_ d: Date?) -> JSONValue { d.map { .string(Self.utc($0)) } ?? .null }
        func str(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        func int(_ n: Int?) -> JSONValue { n.map { .number(Double($0)) } ?? .null }
        return .object([
            "id": id.map { .number(Double($0)) } ?? .null,
            "kind": .string(kind.rawValue), "case": .string(caseNumber),
            "recipients": .array(recipients.map(JSONValue.string)), "text": .string(text), "at": time(at),
            "clock": str(clock), "run": int(run), "rule": str(rule), "step": int(step), "violation": str(violation),
            "due_at": time(dueAt), "past_due": dueAt == nil ? .null : .bool(isPastDue),
            "unit": str(unit), "person": str(person), "report": str(report), "period": str(period),
        ])
    }

    static func utc(_ d: Date) -> String { ISO8601.format(d, in: TimeZone(identifier: "UTC")!) }
}

/// Writes the text people read from a notification's facts. Front ends give the engine theirs
/// (the Chinese wording lives in KesuRendering); the kernel's own states the facts plainly.
public protocol NotificationWording: Sendable {
    /// `pack` names units, people, clocks and violations; `zone` is the pack's time zone.
    func text(for notification: Notification, pack: RulePack, zone: TimeZone) -> String
}

/// The facts in one line, for an engine no front end has given a wording (tests, tools).
public struct PlainNotificationWording: NotificationWording {
    public init() {}
    public func text(for n: Notification, pack: RulePack, zone: TimeZone) -> String {
        var parts = [n.kind.rawValue, n.caseNumber]
        if let clock = n.clock { parts.append("\(clock)#\(n.run ?? 0)") }
        if let v = n.violation { parts.append(v) }
        if let unit = n.unit { parts.append(unit) }
        if let due = n.dueAt { parts.append("due \(ISO8601.format(due, in: zone))") }
        return parts.joined(separator: " ")
    }
}

/// Delivers notifications somewhere (console, a file, a webhook, a plugin).
public protocol Notifier: Sendable {
    func deliver(_ notification: Notification) async throws
    /// What the channel is, for the administrator's plugin list.
    var about: DriverInfo { get }
    /// Checks the channel could deliver now (a plugin answers `health`, a webhook's server answers,
    /// a file can be opened), giving up after `timeout`. Throws why not; returns what was checked,
    /// or nil when the channel has nothing to check.
    func checkHealth(timeout: Duration) async throws -> String?
}

/// A configured driver (a notification channel, the scorer) as the administrator reads it: its
/// driver, and a plugin's id and version.
public struct DriverInfo: Sendable, Equatable {
    /// The driver: `webhook`, `outbox-file`, `console`, `exec`.
    public var kind: String
    public var plugin: String?
    public var version: String?
    /// Where it delivers (a URL without its query, a file path), when that says something.
    public var target: String?
    public init(kind: String, plugin: String? = nil, version: String? = nil, target: String? = nil) {
        self.kind = kind; self.plugin = plugin; self.version = version; self.target = target
    }
}

extension Notifier {
    public var about: DriverInfo { DriverInfo(kind: String(describing: Self.self)) }
    public func checkHealth(timeout: Duration) async throws -> String? { nil }
}

/// Keeps what it was given: the deterministic notifier for tests.
public actor CollectingNotifier: Notifier {
    public private(set) var delivered: [Notification] = []
    public init() {}
    public func deliver(_ notification: Notification) async throws { delivered.append(notification) }
}

import Foundation
import KesuKernel

// What a person sees of a case, built once from the kernel and rendered by every front end: the
// CLI (`kesu show --json` and its text), the JSON API (docs/openapi.yaml: Case, CaseSummary,
// Event) and the web console. Names sit beside ids so no front end looks them up again; personal
// data is already masked for the viewer; times carry the pack's offset.

/// One case as its reader may see it.
public struct CaseView: Sendable, Equatable, Codable {
    public var id: Int64
    public var number: String
    public var state: String
    public var stateName: String
    public var handlingUnit: String?
    public var handlingUnitName: String?
    public var routingRule: String?
    public var assignee: String?
    public var assigneeName: String?
    /// Send it back as `expected_version`.
    public var version: Int
    public var openedAt: ViewTime
    public var updatedAt: ViewTime
    public var closedAt: ViewTime?
    /// Field values, masked for a reader without `personal_data`.
    public var fields: [String: String]
    /// The label of each field value the pack names (`category: 营销服务`).
    public var fieldLabels: [String: String]
    public var clocks: [ClockView]
    /// A running clock is past its due time.
    public var overdue: Bool
    public var violations: [String]
    public var outcomes: [String]
    /// The files attached to the case, oldest first.
    public var attachments: [AttachmentView]
    /// The transitions the case offers now (its state and fields), under the rules it runs under.
    public var availableTransitions: [TransitionView]
    /// The rules the case runs under.
    public var packVersion: String
    /// The history, when asked for.
    public var events: [HistoryEntryView]?

    enum CodingKeys: String, CodingKey {
        case id, number, state, stateName = "state_name", handlingUnit = "handling_unit", handlingUnitName = "handling_unit_name"
        case routingRule = "routing_rule", assignee, assigneeName = "assignee_name", version, openedAt = "opened_at"
        case updatedAt = "updated_at", closedAt = "closed_at", fields, fieldLabels = "field_labels", clocks, overdue
        case violations, outcomes, attachments, availableTransitions = "available_transitions", packVersion = "pack_version", events
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id); try c.encode(number, forKey: .number); try c.encode(state, forKey: .state)
        try c.encode(stateName, forKey: .stateName); try c.encode(handlingUnit, forKey: .handlingUnit)
        try c.encode(handlingUnitName, forKey: .handlingUnitName); try c.encode(routingRule, forKey: .routingRule)
        try c.encode(assignee, forKey: .assignee); try c.encode(assigneeName, forKey: .assigneeName)
        try c.encode(version, forKey: .version); try c.encode(openedAt, forKey: .openedAt)
        try c.encode(updatedAt, forKey: .updatedAt); try c.encode(closedAt, forKey: .closedAt)
        try c.encode(fields, forKey: .fields); try c.encode(fieldLabels, forKey: .fieldLabels)
        try c.encode(clocks, forKey: .clocks); try c.encode(overdue, forKey: .overdue)
        try c.encode(violations, forKey: .violations); try c.encode(outcomes, forKey: .outcomes)
        try c.encode(attachments, forKey: .attachments)
        try c.encode(availableTransitions, forKey: .availableTransitions); try c.encode(packVersion, forKey: .packVersion)
        try c.encodeIfPresent(events, forKey: .events)
    }
}

/// A file attached to a case; its content is downloaded by `sha256` (the API's
/// `GET /v1/cases/{number}/attachments/{sha256}`), never shown inline.
public struct AttachmentView: Sendable, Equatable, Codable {
    public var name: String
    public var mediaType: String
    /// Bytes.
    public var size: Int
    /// `120 KB`, `1.5 MB`.
    public var sizeText: String
    public var sha256: String
    public var addedAt: ViewTime
    public var addedBy: String
    public var addedByName: String

    enum CodingKeys: String, CodingKey {
        case name, mediaType = "media_type", size, sizeText = "size_text", sha256, addedAt = "added_at", addedBy = "added_by"
        case addedByName = "added_by_name"
    }
}

/// One run of a clock.
public struct ClockView: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var run: Int
    /// `running`, `paused` or `stopped`.
    public var status: String
    public var startedAt: ViewTime
    /// After extensions and pauses.
    public var dueAt: ViewTime
    public var stoppedAt: ViewTime?
    /// Stopped after its due time.
    public var late: Bool
    /// Running past its due time now.
    public var overdue: Bool
    public var extensions: Int
    /// The calendar the due time was counted on: the weakest year from the start to the due time (`provisional`:
    /// a draft without 调休 days; `uncovered`: no holidays known), so a due time that may move is flagged.
    public var dueCalendar: YearCoverage
    /// How the due time is reached, day by day: the running clocks of a case read with its history.
    public var dueWalk: DueWalkView?
    /// The run's extension request waiting for an approver, if any.
    public var extensionRequest: ExtensionRequestView? = nil

    enum CodingKeys: String, CodingKey {
        case id, name, run, status, startedAt = "started_at", dueAt = "due_at", stoppedAt = "stopped_at", late, overdue
        case extensions, dueCalendar = "due_calendar", dueWalk = "due_walk", extensionRequest = "extension_request"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id); try c.encode(name, forKey: .name); try c.encode(run, forKey: .run)
        try c.encode(status, forKey: .status); try c.encode(startedAt, forKey: .startedAt); try c.encode(dueAt, forKey: .dueAt)
        try c.encode(stoppedAt, forKey: .stoppedAt); try c.encode(late, forKey: .late); try c.encode(overdue, forKey: .overdue)
        try c.encode(extensions, forKey: .extensions); try c.encode(dueCalendar, forKey: .dueCalendar)
        try c.encode(dueWalk, forKey: .dueWalk); try c.encode(extensionRequest, forKey: .extensionRequest)
    }
}

/// An extension asked for by someone working the case, not yet granted or declined. The length is in `days`
/// (working days) or `hours` (working hours), the other null.
public struct ExtensionRequestView: Sendable, Equatable, Codable {
    public var days: Int?
    public var hours: Double?
    public var reason: String
    public var requestedBy: String
    public var requestedByName: String
    public var requestedAt: ViewTime

    public init(days: Int?, hours: Double?, reason: String, requestedBy: String, requestedByName: String, requestedAt: ViewTime) {
        self.days = days; self.hours = hours; self.reason = reason; self.requestedBy = requestedBy
        self.requestedByName = requestedByName; self.requestedAt = requestedAt
    }

    enum CodingKeys: String, CodingKey {
        case days, hours, reason, requestedBy = "requested_by", requestedByName = "requested_by_name", requestedAt = "requested_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(days, forKey: .days); try c.encode(hours, forKey: .hours); try c.encode(reason, forKey: .reason)
        try c.encode(requestedBy, forKey: .requestedBy); try c.encode(requestedByName, forKey: .requestedByName)
        try c.encode(requestedAt, forKey: .requestedAt)
    }
}

/// The walk that reaches a due time (`rules explain`, one clock): from where counting starts,
/// every day passed, what kind of day it was and whether it counted.
public struct DueWalkView: Sendable, Equatable, Codable {
    /// Where the walk starts: the clock's start, its resume, or the due time an extension counts from.
    public var from: ViewTime
    /// Why it starts there: `start`, `resume` or `extension`.
    public var basis: String
    public var countFrom: ViewTime
    public var due: ViewTime
    /// The weakest calendar among the years walked.
    public var dueCalendar: YearCoverage
    /// Each year the walk passes through and how its holidays are known, in order.
    public var calendarYears: [CalendarYearView]
    public var days: [DueDayView]

    enum CodingKeys: String, CodingKey {
        case from, basis, countFrom = "count_from", due, dueCalendar = "due_calendar", calendarYears = "calendar_years", days
    }
}

/// One year a due walk passes through: `official`, `provisional` (a draft) or `uncovered` (no holidays known).
public struct CalendarYearView: Sendable, Equatable, Codable {
    public var year: Int
    public var calendar: YearCoverage
}

public struct DueDayView: Sendable, Equatable, Codable {
    /// `2026-10-09`.
    public var date: String
    /// ISO weekday: 1 = Monday … 7 = Sunday.
    public var weekday: Int
    /// `working`, `weekend`, `holiday` or `adjusted_workday` (调休上班).
    public var kind: String
    /// The holiday's label (国庆节), for holidays and adjusted working days.
    public var label: String?
    /// `received`, `start`, `skipped` or `counted`.
    public var role: String
    /// Working-day clocks: this is working day `ordinal` of the length.
    public var ordinal: Int?
    public var isDueDay: Bool

    enum CodingKeys: String, CodingKey { case date, weekday, kind, label, role, ordinal, isDueDay = "due_day" }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(date, forKey: .date); try c.encode(weekday, forKey: .weekday); try c.encode(kind, forKey: .kind)
        try c.encode(label, forKey: .label); try c.encode(role, forKey: .role); try c.encode(ordinal, forKey: .ordinal)
        try c.encode(isDueDay, forKey: .isDueDay)
    }
}

/// A transition the case offers now, with the form it takes.
public struct TransitionView: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    /// Whether the reader may take it (role and unit); the operator (no reader) may take every one.
    public var allowed: Bool
    public var fields: [FormFieldView]
}

/// One field of a form: what it holds and, for a choice, the values it takes.
public struct FormFieldView: Sendable, Equatable, Codable {
    public struct Choice: Sendable, Equatable, Codable {
        public var id: String
        public var name: String
    }
    public var id: String
    public var name: String
    /// `text`, `choice`, `datetime`, `number`, `boolean`, `person` or `unit`.
    public var type: String
    public var required: Bool
    /// The values a choice, person or unit field takes, with their names; empty for free text.
    public var choices: [Choice]
}

/// One event of a case's history.
public struct HistoryEntryView: Sendable, Equatable, Codable {
    public var seq: Int
    public var at: ViewTime
    public var actor: String
    /// The actor's name (`system` for the sweep).
    public var actorName: String
    /// `intake`, `transition`, `routed`, … (`Event.type`).
    public var type: String
    public var ruleID: String?
    public var packVersion: String
    /// The event's own data, as stored (personal data masked for the reader); its times are
    /// written ISO-8601 in the pack's zone like every other time.
    public var body: EventBody

    public init(seq: Int, at: ViewTime, actor: String, actorName: String, type: String, ruleID: String?, packVersion: String, body: EventBody) {
        self.seq = seq; self.at = at; self.actor = actor; self.actorName = actorName; self.type = type; self.ruleID = ruleID
        self.packVersion = packVersion; self.body = body
    }

    enum CodingKeys: String, CodingKey {
        case seq, at, actor, actorName = "actor_name", type, ruleID = "rule_id", packVersion = "pack_version", body
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seq, forKey: .seq); try c.encode(at, forKey: .at); try c.encode(actor, forKey: .actor)
        try c.encode(actorName, forKey: .actorName); try c.encode(type, forKey: .type); try c.encode(ruleID, forKey: .ruleID)
        try c.encode(packVersion, forKey: .packVersion)
        try c.encode(try JSONValue.parse(Self.bodyEncoder(zone: at.zone).encode(body)), forKey: .body)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        seq = try c.decode(Int.self, forKey: .seq); at = try c.decode(ViewTime.self, forKey: .at)
        actor = try c.decode(String.self, forKey: .actor); actorName = try c.decode(String.self, forKey: .actorName)
        type = try c.decode(String.self, forKey: .type); ruleID = try c.decodeIfPresent(String.self, forKey: .ruleID)
        packVersion = try c.decode(String.self, forKey: .packVersion)
        let raw = try c.decode(JSONValue.self, forKey: .body)
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let text = try c.decode(String.self)
            guard let date = ISO8601.parse(text) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "'\(text)' is not an ISO-8601 time")
            }
            return date
        }
        body = try d.decode(EventBody.self, from: Data(raw.compact.utf8))
    }

    static func bodyEncoder(zone: TimeZone) -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .custom { d, enc in var c = enc.singleValueContainer(); try c.encode(ISO8601.format(d, in: zone)) }
        return e
    }
}

/// One row of a listing or a work queue.
public struct CaseRowView: Sendable, Equatable, Codable {
    public var id: Int64
    public var number: String
    public var state: String
    public var stateName: String
    public var handlingUnit: String?
    public var handlingUnitName: String?
    public var kind: String?
    public var category: String?
    public var level: String?
    public var channel: String?
    public var openedAt: ViewTime
    public var updatedAt: ViewTime
    public var closedAt: ViewTime?
    /// The earliest due time of a running clock.
    public var earliestDue: ViewTime?
    /// The calendar that due time was counted on (the weakest year from the opening to it); nil without a due time.
    public var earliestDueCalendar: YearCoverage?
    public var overdue: Bool
    public var version: Int
    public var packVersion: String

    enum CodingKeys: String, CodingKey {
        case id, number, state, stateName = "state_name", handlingUnit = "handling_unit", handlingUnitName = "handling_unit_name"
        case kind, category, level, channel, openedAt = "opened_at", updatedAt = "updated_at", closedAt = "closed_at"
        case earliestDue = "earliest_due", earliestDueCalendar = "earliest_due_calendar", overdue, version, packVersion = "pack_version"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id); try c.encode(number, forKey: .number); try c.encode(state, forKey: .state)
        try c.encode(stateName, forKey: .stateName); try c.encode(handlingUnit, forKey: .handlingUnit)
        try c.encode(handlingUnitName, forKey: .handlingUnitName); try c.encode(kind, forKey: .kind)
        try c.encode(category, forKey: .category); try c.encode(level, forKey: .level); try c.encode(channel, forKey: .channel)
        try c.encode(openedAt, forKey: .openedAt); try c.encode(updatedAt, forKey: .updatedAt); try c.encode(closedAt, forKey: .closedAt)
        try c.encode(earliestDue, forKey: .earliestDue); try c.encode(earliestDueCalendar, forKey: .earliestDueCalendar)
        try c.encode(overdue, forKey: .overdue); try c.encode(version, forKey: .version)
        try c.encode(packVersion, forKey: .packVersion)
    }
}

/// A page of a listing.
public struct CaseListView: Sendable, Equatable, Codable {
    public var cases: [CaseRowView]
    public var total: Int
    public var limit: Int
    public var offset: Int
}

/// The one JSON encoding of views (sorted keys, unescaped slashes), for the CLI and the API alike.
public enum ViewJSON {
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    public static func data<T: Encodable>(_ value: T, pretty: Bool = false) throws -> Data {
        try encoder(pretty: pretty).encode(value)
    }

    /// The view as a JSON value, to embed in a larger document.
    public static func value<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONValue.parse(data(value))
    }
}

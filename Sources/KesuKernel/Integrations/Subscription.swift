import Foundation

/// A deployment's choice of which case events go to which channel (`subscriptions:` in kesu.yaml). The pack
/// says what the procedure is; who outside hears of it is the deployment's business.
public struct Subscription: Sendable, Equatable {
    /// One entry of `events`: a catalogue type, one named transition, or every event.
    public enum Selector: Sendable, Equatable, CustomStringConvertible {
        case type(String)
        case transition(String)
        case all

        public init(_ text: String) {
            if text == "*" { self = .all }
            else if text.hasPrefix("transition:") { self = .transition(String(text.dropFirst("transition:".count))) }
            else { self = .type(text) }
        }

        public var description: String {
            switch self {
            case let .type(t): t
            case let .transition(id): "transition:\(id)"
            case .all: "*"
            }
        }

        func matches(_ event: Event, type: String) -> Bool {
            switch self {
            case .all: true
            case let .type(t): t == type
            case let .transition(id): if case let .transition(tid, _, _, _) = event.body { tid == id } else { false }
            }
        }
    }

    /// The name of a configured notification channel.
    public var channel: String
    public var events: [Selector]
    /// Conditions on the case's fields (after the event), all of which must hold.
    public var conditions: [FieldCondition]
    /// Whether the complainant's name, phone and the pack's personal fields leave unmasked.
    public var personalData: Bool
    public var location: SourceLocation

    public init(channel: String, events: [Selector], conditions: [FieldCondition] = [], personalData: Bool = false,
                location: SourceLocation = .code()) {
        self.channel = channel; self.events = events; self.conditions = conditions; self.personalData = personalData
        self.location = location
    }

    /// Whether an event about no case (a penalty record) goes here: its type is selected and nothing filters on
    /// case fields.
    public func matches(recordType type: String) -> Bool {
        conditions.isEmpty && events.contains { if case let .type(t) = $0 { t == type } else { $0 == .all } }
    }

    public func matches(_ event: Event, type: String, after state: CaseState) -> Bool {
        events.contains { $0.matches(event, type: type) } && conditions.allSatisfy { $0.holds(on: state.fields) }
    }
}

extension Notification {
    /// An event for integrators, carried by the outbox like a notification: `event` holds its JSON
    /// (`CaseEvents.json`), `caseNumber` its case, `rule` its type.
    public static func caseEvent(_ json: JSONValue, number: String, type: String, at: Date) -> Notification {
        var n = Notification(kind: .event, caseNumber: number, recipients: [], text: "\(type) \(json["id"]?.string ?? number)", at: at,
                             rule: type)
        n.event = json
        return n
    }
}

extension Engine {
    /// One outbox entry per event and subscription it matches, in event order. `before` is the case before the
    /// events; each event's JSON shows the case as it left it.
    public func eventEntries(_ events: [Event], after before: CaseState, caseID: Int64, at now: Date, rules: RulePack? = nil) -> [OutboxEntry] {
        guard !subscriptions.isEmpty else { return [] }
        let pack = rules ?? self.pack
        var state = before
        var out: [OutboxEntry] = []
        // Planned events are numbered by the store; each event's id is its place, so number them as it will.
        for (i, planned) in events.enumerated() {
            var e = planned
            e.caseID = caseID
            e.seq = before.version + i + 1
            state.apply(e)
            let type = CaseEvents.type(of: e, pack: pack)
            for s in subscriptions where s.matches(e, type: type, after: state) {
                let json = CaseEvents.json(e, after: state, pack: pack, personalData: s.personalData)
                out.append(OutboxEntry(caseID: caseID, channel: s.channel,
                                       notification: .caseEvent(json, number: state.number, type: type, at: now)))
            }
        }
        return out
    }
}

import Foundation
import KesuKernel
import KesuRendering
import KesuViews

/// A JSON value, so commands can build documents with a fixed shape.
indirect enum JSON: Encodable {
    case string(String), number(Double), int(Int), bool(Bool), null
    case array([JSON]), object([String: JSON])

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .string(s): try c.encode(s)
        case let .number(n): try c.encode(n)
        case let .int(n): try c.encode(n)
        case let .bool(b): try c.encode(b)
        case .null: try c.encodeNil()
        case let .array(a): try c.encode(a)
        case let .object(o): try c.encode(o)
        }
    }

    static func opt(_ s: String?) -> JSON { s.map(JSON.string) ?? .null }

    init(_ v: JSONValue) {
        switch v {
        case .null: self = .null
        case let .bool(b): self = .bool(b)
        case let .number(n): self = n.rounded() == n && abs(n) < 1e15 ? .int(Int(n)) : .number(n)
        case let .string(s): self = .string(s)
        case let .array(a): self = .array(a.map(JSON.init))
        case let .object(o): self = .object(o.mapValues(JSON.init))
        }
    }
}

enum Output {
    static func json(_ object: [String: JSON]) {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? enc.encode(JSON.object(object))) ?? Data("{}".utf8)
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    static func err(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// Renders cases for people (Chinese labels beside ids) and for scripts (JSON).
struct CaseRenderer {
    let engine: Engine
    /// Who reads the output: nil for the operator (no --as), who sees everything. A viewer without
    /// `personal_data` gets the complainant's personal fields masked, in fields and in history.
    var viewer: Principal? = nil
    var pack: RulePack { engine.pack }

    /// Whether personal data is masked for this viewer.
    var masks: Bool { viewer.map { !$0.has(.personalData) } ?? false }

    func visible(_ s: CaseState) -> CaseState {
        guard let viewer else { return s }
        return s.redacted(for: viewer, pack: pack)
    }

    func visible(_ e: Event) -> Event {
        masks ? e.redacted(personalFields: PersonalData.personalFields(in: pack), pack: pack) : e
    }
    var zone: TimeZone { engine.planner.calendar.timeZone }

    func time(_ d: Date?) -> String { d.map { ISO8601.format($0, in: zone) } ?? "-" }
    func timeJSON(_ d: Date?) -> JSON { d.map { .string(time($0)) } ?? .null }

    /// The shared views (KesuViews) for this reader at `now`: what `kesu serve` answers too.
    func views(at now: Date) -> CaseViewBuilder { CaseViewBuilder(engine: engine, viewer: viewer, now: now) }

    /// The case as `GET /v1/cases/{number}` gives it (with `events` when given), plus `extra` keys.
    func json(_ state: CaseState, events: [Event]? = nil, at now: Date, extra: [String: JSON] = [:]) async -> [String: JSON] {
        let view = await views(at: now).view(state, events: events)
        var o: [String: JSON] = [:]
        if case let .object(fields) = (try? ViewJSON.value(view)) ?? .null {
            for (k, v) in fields { o[k] = JSON(v) }
        }
        for (k, v) in extra { o[k] = v }
        return o
    }

    func label(_ field: String, _ value: String?) -> String {
        value.map { HistoryText(pack: pack, zone: zone).label(field, $0) } ?? "-"
    }

    /// One history entry as a line people read (shared with every front end: KesuRendering.HistoryText).
    func describe(_ e: Event) -> String { HistoryText(pack: pack, zone: zone).line(e) }

    /// The case for people: fields with labels, clocks, the transitions its own rules offer now, history.
    func text(_ original: CaseState, events: [Event]? = nil, at now: Date) async -> String {
        let view = await views(at: now).view(original, events: nil)
        let s = visible(original)
        var lines = ["\(s.number)  \(view.stateName) (\(s.state))"]
        for f in ["kind", "category", "level", "complainant_type", "channel", "region"] where s.fields[f] != nil {
            lines.append("  \(f): \(label(f, s.fields[f]))")
        }
        for f in s.fields.keys.sorted() where !["kind", "category", "level", "complainant_type", "channel", "region", "assignee", "handling_unit"].contains(f) {
            lines.append("  \(f): \(s.fields[f]!)")
        }
        lines.append("  handling_unit: \(label("handling_unit", s.handlingUnit))\(s.routingRule.map { "  (rule \($0))" } ?? "")")
        if let a = s.assignee { lines.append("  assignee: \(label("assignee", a))") }
        if !view.clocks.isEmpty {
            lines.append("  clocks:")
            for c in view.clocks {
                lines.append("    \(c.id) \(c.name) #\(c.run) \(c.status) due \(c.dueAt)\(CoverageText.mark(c.dueCalendar))\(c.late ? " LATE" : "")")
            }
        }
        if !view.availableTransitions.isEmpty {
            lines.append("  next: " + view.availableTransitions.map { "\($0.id) (\($0.name))" }.joined(separator: ", "))
        }
        if let events {
            lines.append("  history:")
            for e in events.map(visible) { lines.append(String(format: "  %3d ", e.seq) + "\(time(e.at)) \(e.actor): \(describe(e))") }
        }
        return lines.joined(separator: "\n")
    }
}

func fmt(_ x: Double) -> String { PenaltyNotice.points(x) }

import Foundation
import KesuKernel
import KesuRendering

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

    func clocksJSON(_ s: CaseState) -> JSON {
        .array(s.clocks.values.sorted { $0.run.clock < $1.run.clock }.map { c in
            .object([
                "id": .string(c.run.clock), "name": .string(pack.clock(c.run.clock)?.name ?? c.run.clock),
                "run": .int(c.run.run), "status": .string(c.status.rawValue),
                "started_at": timeJSON(c.startedAt), "due_at": timeJSON(c.dueAt),
                "stopped_at": timeJSON(c.stoppedAt), "late": .bool(c.late),
                "extensions": .int(c.extensions.count),
            ])
        })
    }

    func json(_ original: CaseState, events: [Event]? = nil, extra: [String: JSON] = [:]) -> [String: JSON] {
        let s = visible(original)
        var o: [String: JSON] = [
            "id": .int(Int(s.id)), "number": .string(s.number), "state": .string(s.state),
            "state_name": .string(pack.state(s.state)?.name ?? s.state),
            "handling_unit": .opt(s.handlingUnit), "routing_rule": .opt(s.routingRule),
            "assignee": .opt(s.assignee), "version": .int(s.version),
            "opened_at": timeJSON(s.openedAt), "closed_at": timeJSON(s.closedAt),
            "fields": .object(s.fields.mapValues(JSON.string)),
            "clocks": clocksJSON(s),
            "running_clocks": .array(s.runningClocks.map { .object(["id": .string($0.run.clock), "due_at": timeJSON($0.dueAt)]) }),
            "violations": .array(s.violations.map { .string($0.id) }),
            "outcomes": .array(s.outcomes.map(JSON.string)),
            "available_transitions": .array(engine.planner.available(for: original).map { .string($0.id) }),
            "pack_version": .string(s.packVersion),
        ]
        if let events { o["events"] = .array(events.map(eventJSON)) }
        for (k, v) in extra { o[k] = v }
        return o
    }

    func eventJSON(_ original: Event) -> JSON {
        let e = visible(original)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(e.body)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return .object([
            "seq": .int(e.seq), "at": timeJSON(e.at), "actor": .string(e.actor), "type": .string(e.type),
            "rule_id": .opt(e.ruleID), "pack_version": .string(e.packVersion),
            "summary": .string(describe(e)),
            "body": .string(body),
        ])
    }

    func label(_ field: String, _ value: String?) -> String {
        guard let value else { return "-" }
        if let l = pack.label(field: field, value: value) { return "\(l)(\(value))" }
        return value
    }

    func describe(_ e: Event) -> String {
        switch e.body {
        case let .intake(number, state, _): return "登记 \(number) → \(pack.state(state)?.name ?? state)"
        case let .transition(id, from, to, fields):
            let f = fields.keys.sorted().map { "\($0)=\(fields[$0]!)" }.joined(separator: " ")
            return "\(pack.transition(id)?.name ?? id)(\(id)): \(from) → \(to)\(f.isEmpty ? "" : "  [\(f)]")"
        case let .routed(unit, reason): return "承办单位 → \(label("handling_unit", unit)) (\(reason == "manual" ? "人工转派" : "规则 \(e.ruleID ?? "")"))"
        case let .assigned(p): return "指派 → \(label("assignee", p))"
        case let .clockStarted(run, _, due): return "时限 \(pack.clock(run.clock)?.name ?? run.clock) #\(run.run) 开始, 到期 \(time(due))"
        case let .clockStopped(run, late): return "时限 \(pack.clock(run.clock)?.name ?? run.clock) #\(run.run) 停止\(late ? " (已逾期)" : "")"
        case let .clockPaused(run, left): return "时限 \(run) 暂停, 剩余 \(Int(left / 60)) 分钟"
        case let .clockResumed(run, due): return "时限 \(run) 恢复, 到期 \(time(due))"
        case let .clockExtended(run, due, reason, approver, _): return "时限 \(run) 延期至 \(time(due)), 理由: \(reason), 批准: \(approver)"
        case let .reminder(run, step, _, to): return "提醒 \(run) 第\(step + 1)级 → \(to.joined(separator: ", "))"
        case let .escalation(run, step, _, to): return "升级 \(run) 第\(step + 1)级 → \(to.joined(separator: ", "))"
        case let .violation(id, _, unit, person, at):
            return "违规 \(pack.scoring.violations.first { $0.id == id }?.name ?? id)(\(id)): \(unit)\(person.map { "/\($0)" } ?? "") 于 \(time(at))"
        case let .outcome(id, unit, _): return "结果 \(pack.scoring.outcomes.first { $0.id == id }?.name ?? id)(\(id))\(unit.map { " @\($0)" } ?? "")"
        case let .deduction(cause, subject, points, _): return "扣分 \(subject.kind.rawValue) \(subject.id) −\(fmt(points)) (\(cause), 规则 \(e.ruleID ?? ""))"
        case let .closed(state): return "办结 (\(pack.state(state)?.name ?? state))"
        }
    }

    func text(_ original: CaseState, events: [Event]? = nil) -> String {
        let s = visible(original)
        var lines = ["\(s.number)  \(pack.state(s.state)?.name ?? s.state) (\(s.state))"]
        for f in ["kind", "category", "level", "complainant_type", "channel", "region"] where s.fields[f] != nil {
            lines.append("  \(f): \(label(f, s.fields[f]))")
        }
        for f in s.fields.keys.sorted() where !["kind", "category", "level", "complainant_type", "channel", "region", "assignee", "handling_unit"].contains(f) {
            lines.append("  \(f): \(s.fields[f]!)")
        }
        lines.append("  handling_unit: \(label("handling_unit", s.handlingUnit))\(s.routingRule.map { "  (rule \($0))" } ?? "")")
        if let a = s.assignee { lines.append("  assignee: \(label("assignee", a))") }
        if !s.clocks.isEmpty {
            lines.append("  clocks:")
            for c in s.clocks.values.sorted(by: { $0.run.clock < $1.run.clock }) {
                lines.append("    \(c.run.clock) \(pack.clock(c.run.clock)?.name ?? "") #\(c.run.run) \(c.status.rawValue) due \(time(c.dueAt))\(c.late ? " LATE" : "")")
            }
        }
        let next = engine.planner.available(for: original)
        if !next.isEmpty, !s.isClosed {
            lines.append("  next: " + next.map { "\($0.id) (\($0.name))" }.joined(separator: ", "))
        }
        if let events {
            lines.append("  history:")
            for e in events.map(visible) { lines.append(String(format: "  %3d ", e.seq) + "\(time(e.at)) \(e.actor): \(describe(e))") }
        }
        return lines.joined(separator: "\n")
    }
}

func fmt(_ x: Double) -> String { PenaltyNotice.points(x) }

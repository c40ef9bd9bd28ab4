import Foundation
import KesuKernel

/// Checks a store's notification outbox against its cases' events, for the crash tests: every
/// notification the stored events call for (recomputed with the engine, one per configured
/// channel) is in the outbox exactly once — delivered, pending or failed — and the outbox holds
/// nothing else about a case. A notification enqueued outside the events' transaction would show
/// up here as missing (the process died between the two writes) or duplicated (written again on
/// a retry).
public enum OutboxAudit {
    public struct Result: Sendable {
        /// Outbox items the events call for (cases only; report reminders, `caseID` 0, are not counted).
        public var expected = 0
        /// Outbox items about cases, by status.
        public var byStatus: [OutboxItem.Status: Int] = [:]
        /// Items about cases, all of them (for further checks, e.g. against a channel's file).
        public var items: [OutboxItem] = []
        /// Items about no case (`caseID` 0: periodic-report reminders, calendar notices), which the events do not
        /// call for; a channel's file holds them beside the case items.
        public var notices: [OutboxItem] = []
        /// Every disagreement, one line each: empty when the outbox matches the events.
        public var problems: [String] = []
        public var pending: Int { byStatus[.pending] ?? 0 }
        public var delivered: Int { byStatus[.delivered] ?? 0 }
    }

    /// `engine` must have the channels the writer had (their names are what matters) and its
    /// pack (the texts name clocks and violations).
    public static func check(_ store: any CaseStore, engine: Engine) async throws -> Result {
        var result = Result()
        let all = try await store.outbox(status: nil, limit: 10_000_000)
        var actual: [Int64: [String: Int]] = [:]
        result.notices = all.filter { $0.caseID == 0 }
        for item in all where item.caseID != 0 {
            result.items.append(item)
            result.byStatus[item.status, default: 0] += 1
            actual[item.caseID, default: [:]][try key(item.channel, item.notification), default: 0] += 1
        }
        var known = Set<Int64>()
        for summary in try await store.list(CaseQuery(limit: 10_000_000)) {
            known.insert(summary.id)
            var expected: [String: Int] = [:]
            // Each commit's events share its time, which is the time of its notifications; each
            // notification reads the case as the events before it left it (the clock's due time).
            var state = CaseState()
            for e in try await store.events(caseID: summary.id) {
                let notes = engine.notifications(for: [e], after: state, number: summary.number, at: e.at)
                state.apply(e)
                for entry in engine.outboxEntries(notes, caseID: summary.id) {
                    expected[try key(entry.channel, entry.notification), default: 0] += 1
                }
            }
            result.expected += expected.values.reduce(0, +)
            let found = actual[summary.id] ?? [:]
            for (k, n) in expected where found[k, default: 0] != n {
                result.problems.append("\(summary.number): \(n) outbox item(s) expected, \(found[k, default: 0]) found: \(k)")
            }
            for (k, n) in found where expected[k] == nil {
                result.problems.append("\(summary.number): \(n) outbox item(s) no event calls for: \(k)")
            }
        }
        for id in Set(actual.keys).subtracting(known) {
            result.problems.append("\(actual[id]!.values.reduce(0, +)) outbox item(s) for case id \(id), which is not in the store")
        }
        return result
    }

    /// The facts of a notification on a channel; the text is left out, since it depends only on
    /// the facts and the wording the writer was given.
    static func key(_ channel: String, _ n: KesuKernel.Notification) throws -> String {
        var facts = n
        facts.text = ""
        facts.id = nil
        return "\(channel) \(try OutboxCoding.encode(facts))"
    }

    /// The notifications of a JSON-lines file written by the `outbox-file` notifier, as
    /// `kind case recipients text at` keys (`at` to the second, as the file has it), with how
    /// often each occurs, and the lines that do not parse.
    public static func fileLines(_ path: String) throws -> (keys: [String: Int], unreadable: Int) {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        var keys: [String: Int] = [:]
        var unreadable = 0
        for line in text.split(separator: "\n") {
            guard let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                  let kind = o["kind"] as? String, let number = o["case"] as? String, let to = o["recipients"] as? [String],
                  let body = o["text"] as? String, let at = (o["at"] as? String).flatMap(ISO8601.parse)
            else { unreadable += 1; continue }
            keys[fileKey(kind: kind, number: number, recipients: to, text: body, at: at), default: 0] += 1
        }
        return (keys, unreadable)
    }

    /// The key `fileLines` gives the line of this notification.
    public static func fileKey(_ n: KesuKernel.Notification) -> String {
        fileKey(kind: n.kind.rawValue, number: n.caseNumber, recipients: n.recipients, text: n.text, at: n.at)
    }

    static func fileKey(kind: String, number: String, recipients: [String], text: String, at: Date) -> String {
        "\(kind) \(number) \(recipients.joined(separator: ",")) \(text) \(Int(at.timeIntervalSince1970.rounded(.down)))"
    }
}

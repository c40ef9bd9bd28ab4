import Foundation
import KesuKernel
import PostgresNIO

/// A statement built piece by piece, its values bound as `$1, $2, …` (never spliced into the text).
struct SQLBuilder {
    var text: String
    var binds = PostgresBindings()

    init(_ text: String = "") { self.text = text }

    /// Binds `value` and returns its placeholder.
    mutating func bind<V: PostgresDynamicTypeEncodable>(_ value: V) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    mutating func bind<V: PostgresDynamicTypeEncodable>(_ value: V?) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    mutating func append(_ more: String) { text += more }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: text, binds: binds) }
}

extension Date {
    /// The Double a `Date` holds: what the store keeps (see `PostgresMigrations`).
    var stored: Double { timeIntervalSinceReferenceDate }
    init(stored: Double) { self.init(timeIntervalSinceReferenceDate: stored) }
}

/// Reading columns by name, with the column and the row's purpose in the error.
struct Columns {
    let row: PostgresRandomAccessRow
    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

    func callAsFunction<T: PostgresDecodable>(_ name: String, as: T.Type = T.self) throws -> T {
        do { return try row[name].decode(T.self) } catch {
            throw StoreError.failure(operation: "read column \(name)", detail: "\(String(reflecting: error))")
        }
    }

    func date(_ name: String) throws -> Date { Date(stored: try self(name, as: Double.self)) }
    func optionalDate(_ name: String) throws -> Date? { try self(name, as: Double?.self).map(Date.init(stored:)) }
}

enum PostgresRows {
    static let caseColumns = """
        id, number, state, handling_unit, kind, category, level, channel, text, opened_at, updated_at,
        closed_at, earliest_due, next_wakeup, version, pack_version, assignee, phone_digest
        """

    static func summary(_ row: PostgresRow) throws -> CaseSummary {
        let c = Columns(row)
        return CaseSummary(
            id: try c("id"), number: try c("number"), state: try c("state"), handlingUnit: try c("handling_unit"),
            kind: try c("kind"), category: try c("category"), level: try c("level"), channel: try c("channel"),
            text: try c("text"), openedAt: try c.date("opened_at"), updatedAt: try c.date("updated_at"),
            closedAt: try c.optionalDate("closed_at"), earliestDue: try c.optionalDate("earliest_due"),
            nextWakeup: try c.optionalDate("next_wakeup"), version: Int(try c("version", as: Int64.self)),
            packVersion: try c("pack_version"), assignee: try c("assignee"), phoneDigest: try c("phone_digest"))
    }

    static let eventColumns = "case_id, seq, at, actor, rule_id, pack_version, body"

    static func event(_ row: PostgresRow, decoder: JSONDecoder) throws -> Event {
        let c = Columns(row)
        let caseID: Int64 = try c("case_id")
        let seq = Int(try c("seq", as: Int64.self))
        let json: String = try c("body")
        let body: EventBody
        do {
            body = try EventBody.decode(json: json, decoder: decoder)
        } catch {
            throw StoreError.failure(operation: "decode event \(seq) of case \(caseID)", detail: "\(error)")
        }
        return Event(caseID: caseID, seq: seq, at: try c.date("at"), actor: try c("actor"), ruleID: try c("rule_id"),
                     packVersion: try c("pack_version"), body: body)
    }

    static let recordColumns = "stream, seq, at, actor, type, pack_version, body"

    static func record(_ row: PostgresRow) throws -> RecordEvent {
        let c = Columns(row)
        return RecordEvent(stream: try c("stream"), seq: Int(try c("seq", as: Int64.self)), at: try c.date("at"),
                           actor: try c("actor"), type: try c("type"), packVersion: try c("pack_version"), body: try c("body"))
    }

    static let outboxColumns = """
        id, case_id, channel, notification, created_at, status, attempts, next_attempt_at, last_error, delivered_at
        """

    static func outboxItem(_ row: PostgresRow) throws -> OutboxItem {
        let c = Columns(row)
        let id: Int64 = try c("id")
        let notification: KesuKernel.Notification
        do { notification = try OutboxCoding.decode(try c("notification")) } catch {
            throw StoreError.failure(operation: "decode outbox item \(id)", detail: "\(error)")
        }
        let status: String = try c("status")
        return OutboxItem(
            id: id, caseID: try c("case_id"), channel: try c("channel"), notification: notification,
            createdAt: try c.date("created_at"), status: OutboxItem.Status(rawValue: status) ?? .pending,
            attempts: Int(try c("attempts", as: Int64.self)), nextAttemptAt: try c.date("next_attempt_at"),
            lastError: try c("last_error"), deliveredAt: try c.optionalDate("delivered_at"))
    }
}

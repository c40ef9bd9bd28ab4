import Foundation
import KesuKernel
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The `CaseStore` for several instances on one PostgreSQL database (same contract as the SQLite
/// store; see the store conformance kit). Every write is one transaction on one pooled connection;
/// writers in other processes are kept apart by the database itself:
///
/// - appends lock the case row (`SELECT … FOR UPDATE`) before checking its version, and events are
///   keyed `(case_id, seq)`;
/// - case ids come from a sequence; numbers from counter rows bumped by an upsert whose row lock is
///   held until commit, so a create that fails (its build throws, or anything else) gives its number
///   back — or, when the pack allows gaps, bumped in a statement of its own before the case's
///   transaction, so intakes do not queue on the counter;
/// - idempotency keys and record streams take a transaction-scoped advisory lock on their name
///   before they look, and idempotency keys are unique;
/// - leases are one `INSERT … ON CONFLICT … DO UPDATE … WHERE` statement.
///
/// The schema is migrated on first use (see `PostgresMigrations`), under an advisory lock so that
/// instances starting together do not race.
///
/// The connection pool is long-lived: a server adds the store to its service group (it is a
/// `Service`: `run()` runs the pool until graceful shutdown). A short command that runs no service
/// group just uses the store: the first operation starts the pool, and `shutdown()` closes it.
public final class PostgresCaseStore: CaseStore, Service, Sendable {
    /// Where it connects (password included; print `PostgresURL.masked`).
    public let address: PostgresURL
    private let client: PostgresClient
    /// Who runs the pool: nobody yet, the service group, or the store itself for a short command.
    private enum Runner { case idle, serviceGroup, own(Task<Void, Never>), closed }
    private let runner = Mutex<Runner>(.idle)
    private let logger: Logger
    private let migrationGate = MigrationGate()

    /// Index names, for operators and query-plan checks.
    public static let sweepIndexName = PostgresMigrations.sweepIndex
    public static let outboxDueIndexName = PostgresMigrations.outboxDueIndex
    /// Every migration this version knows, in order.
    public static var migrationIDs: [String] { PostgresMigrations.all.map(\.id) }

    public let lookupKey: LookupKey

    /// A store on the database at `url` (`postgres://user:pass@host:port/db`, see `PostgresURL`).
    /// Connects lazily: a wrong URL throws here, an unreachable server at the first operation.
    /// `lookupKey`: the key its phone index is made with; every instance on the database must
    /// give the same one (another is refused at the first operation).
    public init(url: String, lookupKey: LookupKey, poolSize: Int? = nil, logger: Logger = Logger(label: "kesu.postgres")) throws {
        self.lookupKey = lookupKey
        self.address = try PostgresURL(url)
        self.logger = logger
        self.client = PostgresClient(configuration: try address.clientConfiguration(poolSize: poolSize), backgroundLogger: logger)
    }

    /// The store as a `Service`: runs the connection pool until the group shuts down gracefully
    /// (add it before the services that use it, so it stops after them).
    public func run() async throws {
        let started = runner.withLock { runner -> Task<Void, Never>? in
            if case let .own(task) = runner { return task }
            runner = .serviceGroup
            return nil
        }
        guard let started else { return await client.run() }
        // An operation ran before the group started this service, so the pool already runs: keep
        // it until shutdown, then close it as the group expects.
        try? await gracefulShutdown()
        started.cancel()
        await started.value
    }

    /// Closes the connections a short command opened (the store started the pool itself). Under
    /// a service group the group closes them. The store must not be used afterwards.
    public func shutdown() async {
        let started = runner.withLock { runner -> Task<Void, Never>? in
            defer { if case .own = runner { runner = .closed } }
            if case let .own(task) = runner { return task }
            return nil
        }
        started?.cancel()
        await started?.value
    }

    /// Starts the pool on first use when no service group runs it (a short command).
    private func startPoolIfNeeded() {
        runner.withLock { runner in
            guard case .idle = runner else { return }
            let client = self.client
            runner = .own(Task { await client.run() })
        }
    }

    // MARK: - Writes

    public func create(
        numbering: CaseNumbering, year: Int,
        build: @Sendable (_ id: Int64, _ number: String) throws -> NewCase
    ) async throws -> CaseSummary {
        try await transaction("create a case numbered \(numbering.prefix)-\(year)-…",
                              beforeBegin: { c in try await self.numberApart(c, numbering, year) }) { c, seq in
            try await self.insertCase(c, numbering: numbering, year: year, seq: seq, build: build)
        }
    }

    public func create(
        numbering: CaseNumbering, year: Int, idempotencyKey key: String, fingerprint: String,
        build: @Sendable (_ id: Int64, _ number: String) throws -> NewCase
    ) async throws -> (summary: CaseSummary, created: Bool) {
        let (summary, created) = try await transaction("create a case for idempotency key '\(key)'",
                                                       beforeBegin: { c in try await self.numberApart(c, numbering, year) }
        ) { c, seq -> (CaseSummary, Bool) in
            // Concurrent calls with one key wait here for each other; the first one's case is
            // committed (or rolled back) before the next one looks.
            try await self.lock(c, "idempotency", key)
            let rows = try await c.query("SELECT case_id, fingerprint FROM idempotency_keys WHERE key = \(key)",
                                         logger: self.logger).collect()
            if let row = rows.first {
                let (id, print) = try row.decode((Int64, String).self)
                guard print == fingerprint else { throw StoreError.idempotencyMismatch(key: key, caseID: id) }
                guard let existing = try await self.fetchSummary(c, id) else { throw StoreError.caseNotFound(id) }
                return (existing, false)
            }
            let summary = try await self.insertCase(c, numbering: numbering, year: year, seq: seq, build: build)
            try await c.query("INSERT INTO idempotency_keys (key, case_id, fingerprint) VALUES (\(key), \(summary.id), \(fingerprint))",
                              logger: self.logger)
            return (summary, true)
        }
        return (summary, created)
    }

    /// Bumps the counter of `<prefix>-<year>`: the row lock lasts as long as the statement's transaction.
    private func bumpCounter(_ c: PostgresConnection, _ numbering: CaseNumbering, _ year: Int) async throws -> Int64 {
        let key = "\(numbering.prefix)-\(year)"
        return try await one(c, """
            INSERT INTO counters (key, value) VALUES (\(key), 1)
            ON CONFLICT (key) DO UPDATE SET value = counters.value + 1 RETURNING value
            """, as: Int64.self)
    }

    /// When the pack allows gaps, the number is taken before the case's transaction begins, in a
    /// statement of its own: the counter's row lock is held for that statement only, so intakes on
    /// other connections do not wait for this one's commit. Nil when numbers are gapless.
    private func numberApart(_ c: PostgresConnection, _ numbering: CaseNumbering, _ year: Int) async throws -> Int64? {
        numbering.gaps == .allowed ? try await bumpCounter(c, numbering, year) : nil
    }

    /// The new case, its events and its outbox rows, inside the caller's transaction; `seq` is the
    /// number already taken apart, or nil to take it here.
    private func insertCase(
        _ c: PostgresConnection, numbering: CaseNumbering, year: Int, seq taken: Int64?,
        build: @Sendable (_ id: Int64, _ number: String) throws -> NewCase
    ) async throws -> CaseSummary {
        let id = try await one(c, "SELECT nextval('case_id_seq')", as: Int64.self)
        // Gapless: the counter's row lock lasts until commit (other intakes of the year wait), and a
        // rollback gives the number back.
        let seq = if let taken { taken } else { try await bumpCounter(c, numbering, year) }
        let number = numbering.number(year: year, seq: seq)
        let new: NewCase
        do { new = try build(id, number) } catch { throw BuildFailure(underlying: error) }  // rolls back
        var summary = new.summary
        summary.id = id
        summary.number = number
        summary.version = new.events.count
        var sql = SQLBuilder("INSERT INTO cases (\(PostgresRows.caseColumns)) VALUES (")
        let values = [sql.bind(id), sql.bind(number)] + Self.bindSummary(&sql, summary)
        sql.append(values.joined(separator: ", ") + ")")
        try await c.query(sql.query, logger: logger)
        try await insert(c, events: new.events, caseID: id, firstSeq: 1)
        try await enqueue(c, new.outbox, caseID: id)
        try await insert(c, facts: new.facts, caseID: id)
        return summary
    }

    public func append(caseID: Int64, expectedVersion: Int, events: [Event], summary: CaseSummary, outbox: [OutboxEntry],
                       facts: [ReportFact]) async throws {
        try await transaction("append \(events.count) event(s) to case \(caseID)") { c in
            // The row lock makes the version check and the write one step for every other writer.
            let rows = try await c.query("SELECT version FROM cases WHERE id = \(caseID) FOR UPDATE", logger: self.logger).collect()
            guard let row = rows.first else { throw StoreError.caseNotFound(caseID) }
            let actual = Int(try row.decode(Int64.self))
            guard actual == expectedVersion else {
                throw StoreError.conflict(caseID: caseID, expected: expectedVersion, actual: actual)
            }
            try await self.insert(c, events: events, caseID: caseID, firstSeq: expectedVersion + 1)
            var s = summary
            s.version = expectedVersion + events.count
            // The number is the case's identity and stays as allocated.
            var sql = SQLBuilder()
            let values = Self.bindSummary(&sql, s)
            let names = ["state", "handling_unit", "kind", "category", "level", "channel", "text", "opened_at", "updated_at",
                         "closed_at", "earliest_due", "next_wakeup", "version", "pack_version", "assignee", "phone_digest"]
            sql.append("UPDATE cases SET " + zip(names, values).map { "\($0) = \($1)" }.joined(separator: ", "))
            let id = sql.bind(caseID)
            sql.append(" WHERE id = \(id)")
            try await c.query(sql.query, logger: self.logger)
            try await self.enqueue(c, outbox, caseID: caseID)
            try await self.insert(c, facts: facts, caseID: caseID)
        }
    }

    private func insert(_ c: PostgresConnection, facts: [ReportFact], caseID: Int64?) async throws {
        // One statement per batch of rows (PostgreSQL allows 65535 binds; 16 per fact).
        for chunk in stride(from: 0, to: facts.count, by: 2000) {
            var sql = SQLBuilder("""
                INSERT INTO report_facts (case_id, seq, fact, occurred_at, opened_at, unit, person, value, weight,
                    kind, category, channel, complainant_type, points, rule_id, pack_version) VALUES
                """)
            var tuples: [String] = []
            for f in facts[chunk..<min(facts.count, chunk + 2000)] {
                let values = [
                    sql.bind(caseID ?? f.caseID), sql.bind(Int64(f.seq)), sql.bind(f.kind.rawValue), sql.bind(f.occurredAt.stored),
                    sql.bind(f.openedAt.stored), sql.bind(f.unit), sql.bind(f.person), sql.bind(f.value), sql.bind(Int32(f.weight)),
                    sql.bind(f.kindField), sql.bind(f.category), sql.bind(f.channel), sql.bind(f.complainantType), sql.bind(f.points),
                    sql.bind(f.ruleID), sql.bind(f.packVersion),
                ]
                tuples.append("(" + values.joined(separator: ", ") + ")")
            }
            sql.append(" " + tuples.joined(separator: ", "))
            try await c.query(sql.query, logger: logger)
        }
    }

    // MARK: - Report facts

    public func reportFactsReady() async throws -> Bool {
        try await read("read whether the report facts are built") { c in
            try await c.query("SELECT ready FROM report_facts_status", logger: self.logger).collect().first?.decode(Bool.self) ?? false
        }
    }

    public func markReportFactsReady() async throws {
        try await transaction("mark the report facts built") { c in
            try await c.query("UPDATE report_facts_status SET ready = TRUE", logger: self.logger)
        }
    }

    public func replaceReportFacts(through: [Int64: Int], with facts: [ReportFact]) async throws {
        let pairs = through.sorted { $0.key < $1.key }
        let ids = pairs.map(\.key), seqs = pairs.map { Int64($0.value) }
        try await transaction("replace the report facts of \(through.count) case(s)") { c in
            try await c.query("""
                DELETE FROM report_facts f USING unnest(\(ids)::bigint[], \(seqs)::bigint[]) AS t(id, seq)
                WHERE f.case_id = t.id AND f.seq <= t.seq
                """, logger: self.logger)
            try await self.insert(c, facts: facts, caseID: nil)
        }
    }

    public func reportFactCounts(kinds: [ReportFact.Kind], from: Date, to: Date, by: ScoreSubject.Kind?,
                                 distinctCases: Bool) async throws -> [ReportFactCount] {
        let subject = by.map { $0 == .unit ? "unit" : "person" }
        var sql = SQLBuilder()
        let kindsBind = sql.bind(kinds.map(\.rawValue)), fromBind = sql.bind(from.stored), toBind = sql.bind(to.stored)
        sql.append("""
            SELECT fact, \(subject ?? "NULL::text"), \(distinctCases ? "count(DISTINCT case_id)" : "sum(weight)")::bigint FROM report_facts
            WHERE fact = ANY(\(kindsBind)) AND occurred_at >= \(fromBind) AND occurred_at < \(toBind)
            GROUP BY fact\(subject.map { ", \($0)" } ?? "") ORDER BY fact\(subject.map { " COLLATE \"C\", \($0) COLLATE \"C\" NULLS FIRST" } ?? " COLLATE \"C\"")
            """)
        let query = sql.query
        return try await read("count the report facts") { c in
            try await c.query(query, logger: self.logger).collect().compactMap { row in
                let (fact, subject, count) = try row.decode((String, String?, Int64).self)
                return ReportFact.Kind(rawValue: fact).map { ReportFactCount(kind: $0, subject: subject, count: Int(count)) }
            }
        }
    }

    public func caseDimensionCounts(openedFrom: Date, openedBefore: Date, asOf: Date) async throws -> [CaseDimensionCount] {
        try await read("count the cases opened by their fields") { c in
            try await c.query("""
                SELECT kind, category, unit, channel, complainant_type, sum(weight)::bigint AS n FROM report_facts
                WHERE fact = 'opened' AND opened_at >= \(openedFrom.stored) AND opened_at < \(openedBefore.stored)
                    AND occurred_at < \(asOf.stored)
                GROUP BY kind, category, unit, channel, complainant_type HAVING sum(weight) <> 0
                """, logger: self.logger).collect().map { row in
                let (k, cat, u, ch, ct, n) = try row.decode((String?, String?, String?, String?, String?, Int64).self)
                return CaseDimensionCount(dimensions: CaseDimensions(kind: k, category: cat, unit: u, channel: ch, complainantType: ct),
                                          count: Int(n))
            }
        }
    }

    public func caseFactCounts(kinds: [ReportFact.Kind], openedFrom: Date, openedBefore: Date,
                               occurredBefore: Date) async throws -> [CaseFactCount] {
        let names = kinds.map(\.rawValue)
        return try await read("count the report facts of each case") { c in
            try await c.query("""
                SELECT case_id, opened_at, fact, value, count(*)::bigint FROM report_facts
                WHERE fact = ANY(\(names)) AND opened_at >= \(openedFrom.stored) AND opened_at < \(openedBefore.stored)
                    AND occurred_at < \(occurredBefore.stored)
                GROUP BY case_id, opened_at, fact, value ORDER BY case_id, fact COLLATE "C", value COLLATE "C"
                """, logger: self.logger).collect().compactMap { row in
                let (id, opened, fact, value, n) = try row.decode((Int64, Double, String, String?, Int64).self)
                return ReportFact.Kind(rawValue: fact).map {
                    CaseFactCount(caseID: id, openedAt: Date(stored: opened), kind: $0, value: value, count: Int(n))
                }
            }
        }
    }

    public func deductionFacts(from: Date, to: Date, by: ScoreSubject.Kind) async throws -> [ReportFact] {
        let subject = by == .unit ? "unit" : "person"
        var sql = SQLBuilder()
        let fromBind = sql.bind(from.stored), toBind = sql.bind(to.stored)
        sql.append("""
            SELECT case_id, seq, occurred_at, opened_at, unit, person, value, points, rule_id, pack_version FROM report_facts
            WHERE fact = 'deduction' AND occurred_at >= \(fromBind) AND occurred_at < \(toBind) AND \(subject) IS NOT NULL
            """)
        let query = sql.query
        return try await read("read the deductions") { c in
            try await c.query(query, logger: self.logger).collect().map { row in
                let (id, seq, occurred, opened, unit, person, value, points, rule, version) =
                    try row.decode((Int64, Int64, Double, Double, String?, String?, String?, Double?, String?, String?).self)
                return ReportFact(caseID: id, seq: Int(seq), kind: .deduction, occurredAt: Date(stored: occurred),
                                  openedAt: Date(stored: opened), unit: unit, person: person, value: value,
                                  points: points, ruleID: rule, packVersion: version)
            }
        }
    }

    /// Binds the summary's columns from `state` to `phone`, in `caseColumns` order.
    private static func bindSummary(_ sql: inout SQLBuilder, _ s: CaseSummary) -> [String] {
        [
            sql.bind(s.state), sql.bind(s.handlingUnit), sql.bind(s.kind), sql.bind(s.category), sql.bind(s.level),
            sql.bind(s.channel), sql.bind(s.text), sql.bind(s.openedAt.stored), sql.bind(s.updatedAt.stored),
            sql.bind(s.closedAt?.stored), sql.bind(s.earliestDue?.stored), sql.bind(s.nextWakeup?.stored),
            sql.bind(Int64(s.version)), sql.bind(s.packVersion), sql.bind(s.assignee), sql.bind(s.phoneDigest),
        ]
    }

    private func insert(_ c: PostgresConnection, events: [Event], caseID: Int64, firstSeq: Int) async throws {
        guard !events.isEmpty else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // One statement per batch of rows (PostgreSQL allows 65535 binds; 9 per event).
        for chunk in stride(from: 0, to: events.count, by: 1000) {
            var sql = SQLBuilder("INSERT INTO events (case_id, seq, at, occurred_at, actor, type, rule_id, pack_version, body) VALUES ")
            var tuples: [String] = []
            for i in chunk..<min(events.count, chunk + 1000) {
                let e = events[i]
                let body = String(decoding: try encoder.encode(e.body), as: UTF8.self)
                let values = [
                    sql.bind(caseID), sql.bind(Int64(firstSeq + i)), sql.bind(e.at.stored), sql.bind(e.occurredAt.stored),
                    sql.bind(e.actor), sql.bind(e.type), sql.bind(e.ruleID), sql.bind(e.packVersion), sql.bind(body),
                ]
                tuples.append("(" + values.joined(separator: ", ") + ")")
            }
            sql.append(tuples.joined(separator: ", "))
            try await c.query(sql.query, logger: logger)
        }
    }

    // MARK: - Reads

    public func events(caseID: Int64) async throws -> [Event] {
        try await read("read the events of case \(caseID)") { c in
            let decoder = JSONDecoder()
            return try await c.query("SELECT \(unescaped: PostgresRows.eventColumns) FROM events WHERE case_id = \(caseID) ORDER BY seq",
                                     logger: self.logger).collect().map { try PostgresRows.event($0, decoder: decoder) }
        }
    }

    public func events(caseIDs: [Int64]) async throws -> [Event] {
        let ids = Set(caseIDs).sorted()
        guard !ids.isEmpty else { return [] }
        return try await read("read the events of \(ids.count) cases") { c in
            let decoder = JSONDecoder()
            return try await c.query("SELECT \(unescaped: PostgresRows.eventColumns) FROM events WHERE case_id = ANY(\(ids)) ORDER BY case_id, seq",
                                     logger: self.logger).collect().map { try PostgresRows.event($0, decoder: decoder) }
        }
    }

    public func events(caseIDs: [Int64], types: Set<String>) async throws -> [Event] {
        let ids = Set(caseIDs).sorted(), types = types.sorted()
        guard !ids.isEmpty, !types.isEmpty else { return [] }
        return try await read("read events of \(ids.count) cases by type") { c in
            let decoder = JSONDecoder()
            return try await c.query(
                "SELECT \(unescaped: PostgresRows.eventColumns) FROM events WHERE case_id = ANY(\(ids)) AND type = ANY(\(types)) ORDER BY case_id, seq",
                logger: self.logger).collect().map { try PostgresRows.event($0, decoder: decoder) }
        }
    }

    public func numbers(caseIDs: [Int64]) async throws -> [Int64: String] {
        let ids = Set(caseIDs).sorted()
        guard !ids.isEmpty else { return [:] }
        return try await read("read the numbers of \(ids.count) cases") { c in
            var out: [Int64: String] = [:]
            for try await (id, number) in try await c.query("SELECT id, number FROM cases WHERE id = ANY(\(ids))", logger: self.logger)
                .decode((Int64, String).self) { out[id] = number }
            return out
        }
    }

    public func summary(caseID: Int64) async throws -> CaseSummary? {
        try await read("read case \(caseID)") { c in try await self.fetchSummary(c, caseID) }
    }

    private func fetchSummary(_ c: PostgresConnection, _ id: Int64) async throws -> CaseSummary? {
        try await c.query("SELECT \(unescaped: PostgresRows.caseColumns) FROM cases WHERE id = \(id)", logger: logger)
            .collect().first.map(PostgresRows.summary)
    }

    public func caseID(number: String) async throws -> Int64? {
        try await read("look up case \(number)") { c in
            try await c.query("SELECT id FROM cases WHERE number = \(number)", logger: self.logger).collect()
                .first?.decode(Int64.self)
        }
    }

    public func list(_ query: CaseQuery) async throws -> [CaseSummary] {
        try await read("list cases") { c in
            try await c.query(self.listSQL(query).query, logger: self.logger).collect().map(PostgresRows.summary)
        }
    }

    public func openCaseCounts(overdueAt: Date, dueBefore: Date) async throws -> [OpenCaseCount] {
        try await read("count the open cases by unit and state") { c in
            try await c.query("""
                SELECT handling_unit, state, count(*)::bigint, (count(*) FILTER (WHERE earliest_due < \(overdueAt.stored)))::bigint,
                    (count(*) FILTER (WHERE earliest_due < \(dueBefore.stored)))::bigint
                FROM cases WHERE closed_at IS NULL GROUP BY handling_unit, state
                ORDER BY handling_unit COLLATE "C" NULLS FIRST, state COLLATE "C"
                """, logger: self.logger).collect().map { row in
                let (unit, state, open, overdue, due) = try row.decode((String?, String, Int64, Int64, Int64).self)
                return OpenCaseCount(unit: unit, state: state, open: Int(open), overdue: Int(overdue), dueBefore: Int(due))
            }
        }
    }

    func listSQL(_ query: CaseQuery) -> SQLBuilder {
        var sql = SQLBuilder("SELECT \(PostgresRows.caseColumns) FROM cases")
        self.filter(&sql, query)
        let limit = sql.bind(Int64(max(0, query.limit))), offset = sql.bind(Int64(max(0, query.offset)))
        sql.append(" ORDER BY \(Self.orderBy(query.order)) LIMIT \(limit) OFFSET \(offset)")
        return sql
    }

    /// The plan PostgreSQL picks for a listing (`EXPLAIN`), to check which index it uses.
    public func listQueryPlan(_ query: CaseQuery) async throws -> String {
        try await read("explain a listing") { c in
            var sql = self.listSQL(query)
            sql.text = "EXPLAIN " + sql.text
            return try await c.query(sql.query, logger: self.logger).collect()
                .map { try $0.decode(String.self) }.joined(separator: "\n")
        }
    }

    public func count(_ query: CaseQuery) async throws -> Int {
        try await read("count cases") { c in
            var sql = SQLBuilder("SELECT COUNT(*) FROM cases")
            self.filter(&sql, query)
            return Int(try await self.one(c, sql.query, as: Int64.self))
        }
    }

    /// The WHERE clause of a listing; the query's meaning is `CaseQuery.matches`.
    func filter(_ sql: inout SQLBuilder, _ q: CaseQuery) {
        var terms: [String] = []
        if let state = q.state { terms.append("state = \(sql.bind(state))") }
        if let states = q.states { terms.append("state = ANY(\(sql.bind(states)))") }   // none for an empty list
        if let unit = q.unit { terms.append("handling_unit = \(sql.bind(unit))") }
        if let category = q.category { terms.append("category = \(sql.bind(category))") }
        if let assignee = q.assignee { terms.append("assignee = \(sql.bind(assignee))") }
        if let digest = q.phoneDigest(with: lookupKey) { terms.append("phone_digest = \(sql.bind(digest))") }
        if q.openOnly { terms.append("closed_at IS NULL") }
        if let after = q.after { terms.append("(opened_at, id) > (\(sql.bind(after.openedAt.stored)), \(sql.bind(after.id)))") }
        if let at = q.overdueAt {
            // Matches the partial index cases_overdue.
            terms.append("closed_at IS NULL AND earliest_due IS NOT NULL AND earliest_due < \(sql.bind(at.stored))")
        }
        if let from = q.openedFrom { terms.append("opened_at >= \(sql.bind(from.stored))") }
        if let before = q.openedBefore { terms.append("opened_at < \(sql.bind(before.stored))") }
        if let text = q.text, !text.isEmpty {
            // strpos: a case-sensitive plain substring, no LIKE wildcards to escape.
            let p = sql.bind(text)
            terms.append("(strpos(text, \(p)) > 0 OR strpos(number, \(p)) > 0)")
        }
        if !terms.isEmpty { sql.append(" WHERE " + terms.joined(separator: " AND ")) }
    }

    /// The listing order; `CaseOrder.precedes` says the same in Swift.
    static func orderBy(_ order: CaseOrder) -> String {
        switch order {
        case .newest: "opened_at DESC, id DESC"
        case .dueFirst: "earliest_due ASC NULLS LAST, opened_at ASC, id ASC"
        case .oldest: "opened_at ASC, id ASC"
        }
    }

    static let sweepSQL = """
        SELECT id FROM cases
        WHERE closed_at IS NULL AND next_wakeup IS NOT NULL AND next_wakeup <= $1
        ORDER BY next_wakeup, id LIMIT $2
        """

    public func dueForSweep(at now: Date, limit: Int) async throws -> [Int64] {
        try await read("find cases due for the sweep") { c in
            var binds = PostgresBindings()
            binds.append(now.stored); binds.append(Int64(max(0, limit)))
            return try await c.query(PostgresQuery(unsafeSQL: Self.sweepSQL, binds: binds), logger: self.logger).collect()
                .map { try $0.decode(Int64.self) }
        }
    }

    /// The plan PostgreSQL picks for the sweep's query (`EXPLAIN`), to check that it uses the
    /// partial index `cases_sweep`.
    public func dueForSweepQueryPlan(at now: Date, limit: Int) async throws -> String {
        try await read("explain the sweep's query") { c in
            var binds = PostgresBindings()
            binds.append(now.stored); binds.append(Int64(max(0, limit)))
            return try await c.query(PostgresQuery(unsafeSQL: "EXPLAIN " + Self.sweepSQL, binds: binds), logger: self.logger).collect()
                .map { try $0.decode(String.self) }.joined(separator: "\n")
        }
    }

    /// Refreshes the planner's statistics (`ANALYZE`).
    public func analyze() async throws {
        try await read("analyze the tables") { c in _ = try await c.query("ANALYZE", logger: self.logger).collect() }
    }

    public func events(types: Set<String>, occurredFrom from: Date, to: Date) async throws -> [Event] {
        guard !types.isEmpty else { return [] }
        return try await read("read events by type") { c in
            let decoder = JSONDecoder()
            return try await c.query("""
                SELECT \(unescaped: PostgresRows.eventColumns) FROM events
                WHERE type = ANY(\(types.sorted())) AND occurred_at >= \(from.stored) AND occurred_at < \(to.stored)
                ORDER BY case_id, seq
                """, logger: self.logger).collect().map { try PostgresRows.event($0, decoder: decoder) }
        }
    }

    public func caseIDs(eventTypes types: Set<String>, occurredFrom from: Date, to: Date) async throws -> [Int64] {
        guard !types.isEmpty else { return [] }
        return try await read("find the cases with events by type") { c in
            var ids: [Int64] = []
            for try await id in try await c.query("""
                SELECT DISTINCT case_id FROM events
                WHERE type = ANY(\(types.sorted())) AND occurred_at >= \(from.stored) AND occurred_at < \(to.stored)
                ORDER BY case_id
                """, logger: self.logger).decode(Int64.self) { ids.append(id) }
            return ids
        }
    }

    public func packVersions() async throws -> [PackVersionUse] {
        try await read("list pack versions") { c in
            var pinned: [String: (cases: Int, open: Int)] = [:]
            for row in try await c.query("""
                SELECT pack_version, COUNT(*), COUNT(*) - COUNT(closed_at) FROM cases GROUP BY pack_version
                """, logger: self.logger).collect() {
                let (version, n, open) = try row.decode((String, Int64, Int64).self)
                pinned[version] = (Int(n), Int(open))
            }
            let uses = try await c.query("""
                SELECT pack_version, MIN(at), MAX(at), COUNT(*) FROM events GROUP BY pack_version
                """, logger: self.logger).collect().map { row in
                let (version, first, last, n) = try row.decode((String, Double, Double, Int64).self)
                return PackVersionUse(version: version, firstUsed: Date(stored: first), lastUsed: Date(stored: last), events: Int(n),
                                      cases: pinned[version]?.cases ?? 0, openCases: pinned[version]?.open ?? 0)
            }
            return uses.sorted { ($0.firstUsed, $0.version) < ($1.firstUsed, $1.version) }
        }
    }

    // MARK: - Packs

    public func savePack(_ snapshot: PackSnapshot, at: Date) async throws {
        let files = try snapshot.storedFiles()
        try await transaction("save pack version \(snapshot.version.prefix(12))") { c in
            _ = try await c.query("""
                INSERT INTO packs (version, pack_id, name, root, files, saved_at)
                VALUES (\(snapshot.version), \(snapshot.packID), \(snapshot.name), \(snapshot.root), \(files), \(at.stored))
                ON CONFLICT (version) DO NOTHING
                """, logger: self.logger)
        }
    }

    public func pack(version: String) async throws -> PackSnapshot? {
        let found = try await read("read pack version \(version.prefix(12))") { c -> (String, String, String, String)? in
            try await c.query("SELECT pack_id, name, root, files FROM packs WHERE version = \(version)", logger: self.logger)
                .collect().first?.decode((String, String, String, String).self)
        }
        guard let (packID, name, root, json) = found else { return nil }
        return try PackSnapshot.stored(version: version, packID: packID, name: name, root: root, files: json)
    }

    // MARK: - Record streams

    public func appendRecords(stream: String, expectedVersion: Int, events: [RecordEvent], outbox: [OutboxEntry]) async throws {
        try await appendRecords(stream: stream, expected: expectedVersion, events: events, outbox: outbox)
    }

    public func appendRecordsAtEnd(stream: String, events: [RecordEvent]) async throws {
        try await appendRecords(stream: stream, expected: nil, events: events, outbox: [])
    }

    /// `expected` nil: at the end, whatever the version (the stream's lock makes it so).
    private func appendRecords(stream: String, expected: Int?, events: [RecordEvent], outbox: [OutboxEntry]) async throws {
        try await transaction("append \(events.count) record(s) to stream \(stream)") { c in
            // Writers of one stream take turns, so the count below stays true until commit.
            try await self.lock(c, "records", stream)
            let actual = Int(try await self.one(c, "SELECT COUNT(*) FROM records WHERE stream = \(stream)", as: Int64.self))
            if let expected, actual != expected {
                throw StoreError.recordConflict(stream: stream, expected: expected, actual: actual)
            }
            let expectedVersion = actual
            for chunk in stride(from: 0, to: events.count, by: 1000) {
                var sql = SQLBuilder("INSERT INTO records (stream, seq, at, actor, type, pack_version, body) VALUES ")
                var tuples: [String] = []
                for i in chunk..<min(events.count, chunk + 1000) {
                    let e = events[i]
                    let values = [
                        sql.bind(stream), sql.bind(Int64(expectedVersion + i + 1)), sql.bind(e.at.stored), sql.bind(e.actor),
                        sql.bind(e.type), sql.bind(e.packVersion), sql.bind(e.body),
                    ]
                    tuples.append("(" + values.joined(separator: ", ") + ")")
                }
                sql.append(tuples.joined(separator: ", "))
                try await c.query(sql.query, logger: self.logger)
            }
            try await self.enqueue(c, outbox, caseID: nil)
        }
    }

    public func records(stream: String) async throws -> [RecordEvent] {
        try await read("read record stream \(stream)") { c in
            try await c.query("SELECT \(unescaped: PostgresRows.recordColumns) FROM records WHERE stream = \(stream) ORDER BY seq",
                              logger: self.logger).collect().map(PostgresRows.record)
        }
    }

    public func lastRecord(stream: String) async throws -> RecordEvent? {
        try await read("read the last record of stream \(stream)") { c in
            try await c.query("SELECT \(unescaped: PostgresRows.recordColumns) FROM records WHERE stream = \(stream) ORDER BY seq DESC LIMIT 1",
                              logger: self.logger).collect().map(PostgresRows.record).first
        }
    }

    public func recordsVersion(stream: String) async throws -> Int {
        try await read("read the version of record stream \(stream)") { c in
            var version: Int64 = 0
            for try await v in try await c.query("SELECT COALESCE(MAX(seq), 0)::BIGINT FROM records WHERE stream = \(stream)", logger: self.logger)
                .decode(Int64.self) { version = v }
            return Int(version)
        }
    }

    public func records(streamPrefix: String) async throws -> [RecordEvent] {
        // starts_with: a plain prefix, no LIKE wildcard to escape; the lower bound lets the primary
        // key narrow the scan. The column's "C" collation orders streams by their UTF-8 bytes.
        try await read("read record streams starting \(streamPrefix)") { c in
            try await c.query("""
                SELECT \(unescaped: PostgresRows.recordColumns) FROM records
                WHERE stream >= \(streamPrefix) AND starts_with(stream, \(streamPrefix))
                ORDER BY stream, seq
                """, logger: self.logger).collect().map(PostgresRows.record)
        }
    }

    // MARK: - Notification outbox

    @discardableResult
    private func enqueue(_ c: PostgresConnection, _ entries: [OutboxEntry], caseID: Int64?) async throws -> [Int64] {
        guard !entries.isEmpty else { return [] }
        var ids: [Int64] = []
        for chunk in stride(from: 0, to: entries.count, by: 1000) {
            var sql = SQLBuilder("INSERT INTO outbox (case_id, channel, notification, created_at, status, attempts, next_attempt_at) VALUES ")
            var tuples: [String] = []
            for e in entries[chunk..<min(entries.count, chunk + 1000)] {
                let at = sql.bind(e.notification.at.stored)
                let values = [sql.bind(caseID ?? e.caseID), sql.bind(e.channel), sql.bind(try OutboxCoding.encode(e.notification)), at,
                              "'pending'", "0", at]
                tuples.append("(" + values.joined(separator: ", ") + ")")
            }
            sql.append(tuples.joined(separator: ", ") + " RETURNING id")
            // A multi-row INSERT assigns identities in VALUES order; RETURNING gives them back in it.
            ids += try await c.query(sql.query, logger: logger).collect().map { try $0.decode(Int64.self) }
        }
        return ids
    }

    @discardableResult
    public func enqueueNotifications(_ entries: [OutboxEntry]) async throws -> [Int64] {
        try await transaction("enqueue \(entries.count) notification(s)") { c in try await self.enqueue(c, entries, caseID: nil) }
    }

    static let dueOutboxSQL = """
        SELECT \(PostgresRows.outboxColumns) FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1
            AND (case_id = 0 OR NOT EXISTS (
                SELECT 1 FROM outbox AS earlier WHERE earlier.case_id = outbox.case_id AND earlier.channel = outbox.channel
                    AND earlier.status = 'pending' AND earlier.id < outbox.id))
        ORDER BY next_attempt_at, id LIMIT $2
        """

    /// Cursors are `TX.POS` (see migration v10): the feed shows only transactions older than every one
    /// still running, ordered by (tx, pos).
    public func eventFeed(after cursor: String?, limit: Int) async throws -> EventFeedPage {
        var after: (tx: Int64, pos: Int64) = (-1, 0)
        if let cursor {
            let parts = cursor.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, let t = Int64(parts[0]), let p = Int64(parts[1]), t >= 0, p >= 0 else {
                throw StoreError.invalidCursor(cursor)
            }
            after = (t, p)
        }
        let (tx, pos) = after
        let limit = Int64(max(0, limit))
        return try await read("read the event feed after \(cursor ?? "the start")") { c in
            let decoder = JSONDecoder()
            var events: [Event] = []
            var last: (Int64, Int64)?
            let rows = try await c.query("""
                SELECT \(unescaped: PostgresRows.eventColumns), tx, pos FROM events
                WHERE (tx, pos) > (\(tx), \(pos)) AND tx < txid_snapshot_xmin(txid_current_snapshot())
                ORDER BY tx, pos LIMIT \(limit)
                """, logger: self.logger).collect()
            for row in rows {
                events.append(try PostgresRows.event(row, decoder: decoder))
                let c = Columns(row)
                last = (try c("tx", as: Int64.self), try c("pos", as: Int64.self))
            }
            let next = last.map { "\($0.0).\($0.1)" } ?? cursor
            return EventFeedPage(events: events, cursor: next)
        }
    }

    public func dueOutbox(at now: Date, limit: Int) async throws -> [OutboxItem] {
        try await read("read the due outbox") { c in
            var binds = PostgresBindings()
            binds.append(now.stored); binds.append(Int64(max(0, limit)))
            return try await c.query(PostgresQuery(unsafeSQL: Self.dueOutboxSQL, binds: binds), logger: self.logger).collect()
                .map(PostgresRows.outboxItem)
        }
    }

    public func markDelivered(id: Int64, at: Date) async throws {
        try await transaction("mark outbox item \(id) delivered") { c in
            _ = try await c.query("""
                UPDATE outbox SET status = 'delivered', delivered_at = \(at.stored), attempts = attempts + 1
                WHERE id = \(id) AND status = 'pending'
                """, logger: self.logger)
        }
    }

    public func markFailed(id: Int64, error: String, nextAttemptAt: Date, giveUp: Bool) async throws {
        try await transaction("mark outbox item \(id) failed") { c in
            _ = try await c.query("""
                UPDATE outbox SET attempts = attempts + 1, last_error = \(error), next_attempt_at = \(nextAttemptAt.stored),
                    status = \(giveUp ? "failed" : "pending")
                WHERE id = \(id) AND status = 'pending'
                """, logger: self.logger)
        }
    }

    public func outboxCounts() async throws -> [OutboxItem.Status: Int] {
        try await read("count the outbox") { c in
            var out: [OutboxItem.Status: Int] = [:]
            for try await (status, n) in try await c.query("SELECT status, COUNT(*) FROM outbox GROUP BY status", logger: self.logger)
                .decode((String, Int64).self) {
                if let s = OutboxItem.Status(rawValue: status) { out[s] = Int(n) }
            }
            return out
        }
    }

    public func outbox(status: OutboxItem.Status?, limit: Int) async throws -> [OutboxItem] {
        try await read("list the outbox") { c in
            let limit = Int64(max(0, limit))
            let rows = if let status {
                try await c.query("""
                    SELECT \(unescaped: PostgresRows.outboxColumns) FROM outbox WHERE status = \(status.rawValue) ORDER BY id LIMIT \(limit)
                    """, logger: self.logger).collect()
            } else {
                try await c.query("SELECT \(unescaped: PostgresRows.outboxColumns) FROM outbox ORDER BY id LIMIT \(limit)",
                                  logger: self.logger).collect()
            }
            return try rows.map(PostgresRows.outboxItem)
        }
    }

    @discardableResult
    public func retryOutbox(ids: [Int64]?, at: Date) async throws -> Int {
        try await transaction("retry outbox items") { c in
            let rows = if let ids {
                try await c.query("""
                    UPDATE outbox SET status = 'pending', next_attempt_at = \(at.stored), attempts = 0
                    WHERE id = ANY(\(Array(Set(ids)))) AND status <> 'delivered' RETURNING id
                    """, logger: self.logger).collect()
            } else {
                try await c.query("""
                    UPDATE outbox SET status = 'pending', next_attempt_at = \(at.stored), attempts = 0
                    WHERE status = 'failed' RETURNING id
                    """, logger: self.logger).collect()
            }
            return rows.count
        }
    }

    // MARK: - Leases

    public func acquireLease(_ name: String, holder: String, until: Date, now: Date) async throws -> Bool {
        try await transaction("acquire lease '\(name)' for \(holder)") { c in
            // One statement: taken when absent, expired or already ours; otherwise no row comes back.
            // Concurrent takers of an absent lease: one inserts, the others see its row and are refused.
            let rows = try await c.query("""
                INSERT INTO leases (name, holder, until) VALUES (\(name), \(holder), \(until.stored))
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
                WHERE leases.holder = excluded.holder OR leases.until <= \(now.stored)
                RETURNING holder
                """, logger: self.logger).collect()
            return !rows.isEmpty
        }
    }

    // MARK: - Connections, transactions and errors

    /// Carries an error thrown by a caller's `build` through the transaction unchanged.
    private struct BuildFailure: Error { var underlying: any Error }

    /// The single value of a one-row, one-column result.
    private func one<T: PostgresDecodable>(_ c: PostgresConnection, _ query: PostgresQuery, as: T.Type) async throws -> T {
        guard let row = try await c.query(query, logger: logger).collect().first else {
            throw StoreError.failure(operation: "read a value", detail: "no row for \(query.sql)")
        }
        return try row.decode(T.self)
    }

    /// A transaction-scoped advisory lock on `(space, name)`: held until commit or rollback.
    private func lock(_ c: PostgresConnection, _ space: String, _ name: String) async throws {
        try await c.query("SELECT pg_advisory_xact_lock(hashtextextended(\(space + ":" + name), 0))", logger: logger)
    }

    /// `body` in one transaction (committed when it returns, rolled back when it throws), after the
    /// schema is up to date; errors become `StoreError` naming `operation`.
    private func transaction<T: Sendable>(
        _ operation: @autoclosure () -> String, _ body: @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            try await migrateOnce()
            return try await client.withConnection { c in try await Self.inTransaction(c, logger: self.logger, body) }
        } catch {
            throw Self.wrap(error, operation())
        }
    }

    /// `transaction`, with `beforeBegin` run on the same connection outside it first (autocommit):
    /// what it takes is kept whatever the transaction does.
    private func transaction<P: Sendable, T: Sendable>(
        _ operation: @autoclosure () -> String, beforeBegin: @Sendable (PostgresConnection) async throws -> P,
        _ body: @Sendable (PostgresConnection, P) async throws -> T
    ) async throws -> T {
        do {
            try await migrateOnce()
            return try await client.withConnection { c in
                let taken = try await beforeBegin(c)
                return try await Self.inTransaction(c, logger: self.logger) { try await body($0, taken) }
            }
        } catch {
            throw Self.wrap(error, operation())
        }
    }

    private static func inTransaction<T: Sendable>(
        _ c: PostgresConnection, logger: Logger, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await c.query("BEGIN", logger: logger)
        do {
            let value = try await body(c)
            try await c.query("COMMIT", logger: logger)
            return value
        } catch {
            // Leaves the pooled connection usable (ROLLBACK after a failed COMMIT is a no-op).
            _ = try? await c.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    private func read<T: Sendable>(
        _ operation: @autoclosure () -> String, _ body: @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            try await migrateOnce()
            return try await client.withConnection { c in try await body(c) }
        } catch {
            throw Self.wrap(error, operation())
        }
    }

    /// `StoreError`, cancellation and the caller's own errors pass through; the rest becomes
    /// `StoreError.failure` saying what we were doing and what PostgreSQL said.
    static func wrap(_ error: any Error, _ operation: String) -> any Error {
        switch error {
        case let e as StoreError: e
        case let e as BuildFailure: e.underlying
        case is CancellationError: error
        case let e as PSQLError: StoreError.failure(operation: operation, detail: describe(e))
        case let e as PostgresDecodingError: StoreError.failure(operation: operation, detail: String(reflecting: e))
        default: StoreError.failure(operation: operation, detail: "\(error)")
        }
    }

    /// What went wrong, in PostgreSQL's words when the server said something.
    static func describe(_ e: PSQLError) -> String {
        if let info = e.serverInfo, let message = info[.message] {
            var text = message
            if let detail = info[.detail] { text += " (\(detail))" }
            if let state = info[.sqlState] { text += " [SQLSTATE \(state)]" }
            return text
        }
        if let underlying = e.underlying { return "\(e.code): \(underlying)" }
        return "\(e.code)"
    }
}

// MARK: - Migrations

extension PostgresCaseStore {
    /// The migrations recorded in the database, in the order they were applied.
    public func appliedMigrations() async throws -> [String] {
        try await read("read the applied migrations") { c in
            try await c.query("SELECT id FROM kesu_migrations ORDER BY applied_order", logger: self.logger).collect()
                .map { try $0.decode(String.self) }
        }
    }

    /// Brings the schema up to date (a no-op when it is); other operations do this on first use.
    public func migrate() async throws {
        do { try await migrateOnce() } catch { throw Self.wrap(error, "migrate the database") }
    }

    /// Runs the migrations once per store; a failed attempt is tried again by the next operation.
    private func migrateOnce() async throws {
        startPoolIfNeeded()
        try await migrationGate.run { [client, logger, lookupKey] in
            try await client.withConnection { c in
                try await Self.inTransaction(c, logger: logger) { c in
                    // Instances starting together take turns; the second finds everything applied.
                    try await c.query("SELECT pg_advisory_xact_lock(\(PostgresMigrations.lockKey))", logger: logger)
                    try await c.query("""
                        CREATE TABLE IF NOT EXISTS kesu_migrations (
                            id TEXT PRIMARY KEY,
                            applied_order BIGINT NOT NULL,
                            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                        )
                        """, logger: logger)
                    let applied = Set(try await c.query("SELECT id FROM kesu_migrations", logger: logger).collect()
                        .map { try $0.decode(String.self) })
                    for (order, migration) in PostgresMigrations.all.enumerated() where !applied.contains(migration.id) {
                        for statement in migration.statements {
                            try await c.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        try await migration.code?(c, lookupKey, logger)
                        for statement in migration.after {
                            try await c.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        try await c.query("INSERT INTO kesu_migrations (id, applied_order) VALUES (\(migration.id), \(Int64(order + 1)))",
                                          logger: logger)
                    }
                    try await PostgresMigrations.checkLookupKey(c, lookupKey, logger)
                }
            }
        }
    }
}

/// Runs one piece of work at most once at a time and remembers success.
final class MigrationGate: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    private var running: Task<Void, any Error>?

    func run(_ work: @escaping @Sendable () async throws -> Void) async throws {
        let task: Task<Void, any Error>? = lock.withLock {
            if done { return nil }
            if let running { return running }
            let t = Task { try await work() }
            running = t
            return t
        }
        guard let task else { return }
        do {
            try await task.value
            lock.withLock { done = true; running = nil }
        } catch {
            lock.withLock { if running == task { running = nil } }
            throw error
        }
    }
}

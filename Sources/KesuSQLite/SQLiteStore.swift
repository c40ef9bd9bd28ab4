import Foundation
import GRDB
import KesuKernel

/// The durable `CaseStore`: one SQLite file in WAL mode, through a GRDB `DatabasePool`
/// (one writer, concurrent readers). Every write is one `BEGIN IMMEDIATE` transaction.
///
/// Dates are REAL seconds since 2001-01-01 UTC (`timeIntervalSinceReferenceDate`), which is
/// what a `Date` holds, so they round-trip exactly; see `Migrations`.
public final class SQLiteStore: CaseStore {
    /// The file, or nil for an in-memory database.
    public let path: String?
    private let writer: any DatabaseWriter

    /// Index names, for operators and query-plan checks.
    public static let sweepIndexName = Migrations.sweepIndex
    public static let overdueIndexName = Migrations.overdueIndex
    public static let openUnitIndexName = Migrations.openUnitIndex
    public static let indexNames = [
        Migrations.sweepIndex, Migrations.overdueIndex, Migrations.stateIndex,
        Migrations.openedIndex, Migrations.eventsTypeIndex, Migrations.eventsPackIndex, Migrations.unitStateDueIndex,
        Migrations.phoneDigestIndex, Migrations.assigneeIndex, Migrations.outboxDueIndex,
    ]
    /// Every migration this version knows, in order.
    public static var migrationIDs: [String] { Migrations.ids }

    public let lookupKey: LookupKey

    /// Where the lookup key of the database at `path` is kept when the deployment names none: a file
    /// beside it, made at first use.
    public static func defaultKeyFile(for path: String) -> String { path + ".lookup-key" }

    /// Opens (creating if needed) the database file at `path` and brings its schema up to date.
    /// `lookupKey`: the key its phone index is made with; by default the one in
    /// `defaultKeyFile(for: path)`, made at first use. A key other than the database's is refused.
    public init(path: String, lookupKey: LookupKey? = nil) throws {
        self.path = path
        do {
            let key = try lookupKey ?? LookupKey.file(Self.defaultKeyFile(for: path), create: true)
            self.lookupKey = key
            let pool = try DatabasePool(path: path, configuration: Self.configuration())
            // DatabasePool switches the writer to WAL *after* `prepareDatabase` and sets
            // synchronous = NORMAL while doing so; put FULL back on the one writer connection
            // (see `configuration()` for why). The pragma lasts as long as the connection.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            writer = pool
            try Migrations.migrator(lookupKey: key).migrate(writer)
            try writer.write { db in try Migrations.checkLookupKey(db, key) }
        } catch {
            throw Self.wrap(error, "open the database at \(path)")
        }
    }

    private init(memory writer: DatabaseQueue, lookupKey: LookupKey) {
        self.path = nil
        self.writer = writer
        self.lookupKey = lookupKey
    }

    /// A private in-memory database (no WAL, not shared): for tests and trials.
    public static func inMemory() throws -> SQLiteStore {
        do {
            let queue = try DatabaseQueue(configuration: configuration())
            let key = LookupKey.random()
            try Migrations.migrator(lookupKey: key).migrate(queue)
            return SQLiteStore(memory: queue, lookupKey: key)
        } catch {
            throw wrap(error, "open an in-memory database")
        }
    }

    private static func configuration() -> Configuration {
        var config = Configuration()
        config.label = "kesu"
        config.foreignKeysEnabled = true
        // Wait up to 5 s for another process's write lock rather than failing at once.
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            // DatabasePool runs in WAL mode. With synchronous = NORMAL a WAL commit is not
            // fsynced, so a power loss or OS crash can roll back transactions we already
            // reported as written. A complaint acknowledged to a citizen must not vanish, so
            // FULL: the WAL is synced at every commit and nothing acknowledged is lost.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return config
    }

    /// Closes the database connections; the store must not be used afterwards.
    public func close() throws {
        do { try writer.close() } catch { throw Self.wrap(error, "close the database") }
    }

    // MARK: - Writes

    public func create(
        numbering: CaseNumbering, year: Int,
        build: @Sendable (_ id: Int64, _ number: String) throws -> NewCase
    ) async throws -> CaseSummary {
        try await write("create a case numbered \(numbering.prefix)-\(year)-…") { db in
            try Self.insertCase(db, numbering: numbering, year: year, build: build)
        }
    }

    public func create(
        numbering: CaseNumbering, year: Int, idempotencyKey key: String, fingerprint: String,
        build: @Sendable (_ id: Int64, _ number: String) throws -> NewCase
    ) async throws -> (summary: CaseSummary, created: Bool) {
        try await write("create a case for idempotency key '\(key)'") { db in
            if let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT case_id, fingerprint FROM idempotency_keys WHERE key = ?"), arguments: [key]) {
                let id: Int64 = row["case_id"]
                guard (row["fingerprint"] as String) == fingerprint else { throw StoreError.idempotencyMismatch(key: key, caseID: id) }
                guard let existing = try Row.fetchOne(db, sql: "SELECT * FROM cases WHERE id = ?", arguments: [id]).map(Self.summary) else {
                    throw StoreError.caseNotFound(id)
                }
                return (existing, false)
            }
            let summary = try Self.insertCase(db, numbering: numbering, year: year, build: build)
            try db.cachedStatement(sql: "INSERT INTO idempotency_keys (key, case_id, fingerprint) VALUES (?, ?, ?)")
                .execute(arguments: [key, summary.id, fingerprint])
            return (summary, true)
        }
    }

    /// The new case, its events and its outbox rows, inside the caller's transaction.
    private static func insertCase(
        _ db: Database, numbering: CaseNumbering, year: Int, build: @Sendable (_ id: Int64, _ number: String) throws -> NewCase
    ) throws -> CaseSummary {
        // SQLite has one writer at a time, so a number is never held while another intake waits:
        // numbers come gapless whatever `numbering.gaps` allows.
        let key = "\(numbering.prefix)-\(year)"
        // Cached statements: every intake runs these same ones.
        let seq = try (Int.fetchOne(db.cachedStatement(sql: "SELECT value FROM counters WHERE key = ?"), arguments: [key]) ?? 0) + 1
        let id = try Int64.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(id), 0) + 1 FROM cases")) ?? 1
        let number = numbering.number(year: year, seq: Int64(seq))
        let new: NewCase
        do { new = try build(id, number) } catch { throw BuildFailure(underlying: error) }  // rolls back
        try db.cachedStatement(sql: "INSERT INTO counters(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .execute(arguments: [key, seq])
        var summary = new.summary
        summary.id = id
        summary.number = number
        summary.version = new.events.count
        try db.cachedStatement(sql: """
            INSERT INTO cases (id, number, state, handling_unit, kind, category, level, channel, text,
                opened_at, updated_at, closed_at, earliest_due, next_wakeup, version, pack_version, assignee, phone_digest)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [id, number] + summaryColumns(summary))
        try insert(db, events: new.events, caseID: id, firstSeq: 1)
        try enqueue(db, new.outbox, caseID: id)
        try insert(db, facts: new.facts, caseID: id)
        return summary
    }

    public func append(caseID: Int64, expectedVersion: Int, events: [Event], summary: CaseSummary, outbox: [OutboxEntry],
                       facts: [ReportFact]) async throws {
        try await write("append \(events.count) event(s) to case \(caseID)") { db in
            guard let actual = try Int.fetchOne(db, sql: "SELECT version FROM cases WHERE id = ?", arguments: [caseID])
            else { throw StoreError.caseNotFound(caseID) }
            guard actual == expectedVersion else {
                throw StoreError.conflict(caseID: caseID, expected: expectedVersion, actual: actual)
            }
            try Self.insert(db, events: events, caseID: caseID, firstSeq: expectedVersion + 1)
            var s = summary
            s.version = expectedVersion + events.count
            // The number is the case's identity and stays as allocated.
            try db.execute(
                sql: """
                    UPDATE cases SET state = ?, handling_unit = ?, kind = ?, category = ?, level = ?, channel = ?,
                        text = ?, opened_at = ?, updated_at = ?, closed_at = ?, earliest_due = ?, next_wakeup = ?,
                        version = ?, pack_version = ?, assignee = ?, phone_digest = ?
                    WHERE id = ?
                    """,
                arguments: Self.summaryColumns(s) + [caseID])
            try Self.enqueue(db, outbox, caseID: caseID)
            try Self.insert(db, facts: facts, caseID: caseID)
        }
    }

    private static func insert(_ db: Database, facts: [ReportFact], caseID: Int64?) throws {
        guard !facts.isEmpty else { return }
        let statement = try db.cachedStatement(sql: """
            INSERT INTO report_facts (case_id, seq, fact, occurred_at, opened_at, unit, person, value, weight,
                kind, category, channel, complainant_type, points, rule_id, pack_version)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for f in facts {
            try statement.execute(arguments: [
                caseID ?? f.caseID, f.seq, f.kind.rawValue, f.occurredAt.timeIntervalSinceReferenceDate,
                f.openedAt.timeIntervalSinceReferenceDate, f.unit, f.person, f.value, f.weight, f.kindField, f.category,
                f.channel, f.complainantType, f.points, f.ruleID, f.packVersion,
            ])
        }
    }

    // MARK: - Report facts

    public func reportFactsReady() async throws -> Bool {
        try await read("read whether the report facts are built") { db in
            try Bool.fetchOne(db, sql: "SELECT ready FROM report_facts_status WHERE one = 1") ?? false
        }
    }

    public func markReportFactsReady() async throws {
        try await write("mark the report facts built") { db in
            try db.execute(sql: "UPDATE report_facts_status SET ready = 1 WHERE one = 1")
        }
    }

    public func replaceReportFacts(through: [Int64: Int], with facts: [ReportFact]) async throws {
        try await write("replace the report facts of \(through.count) case(s)") { db in
            let delete = try db.cachedStatement(sql: "DELETE FROM report_facts WHERE case_id = ? AND seq <= ?")
            for (id, seq) in through { try delete.execute(arguments: [id, seq]) }
            try Self.insert(db, facts: facts, caseID: nil)
        }
    }

    public func reportFactCounts(kinds: [ReportFact.Kind], from: Date, to: Date, by: ScoreSubject.Kind?,
                                 distinctCases: Bool) async throws -> [ReportFactCount] {
        if distinctCases { return try await distinctCaseCounts(kinds: kinds, from: from, to: to, by: by) }
        let (sql, arguments) = Self.factCountsSQL(kinds: kinds, from: from, to: to, by: by, distinctCases: distinctCases)
        return try await read("count the report facts") { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).compactMap { row in
                ReportFact.Kind(rawValue: row[0]).map { ReportFactCount(kind: $0, subject: row[1], count: row[2]) }
            }
        }
    }

    /// Distinct cases per group, counted here from the (kind, subject, case) rows the covering index
    /// gives in one pass: a third of the time of `COUNT(DISTINCT case_id)`, which sorts every group.
    private func distinctCaseCounts(kinds: [ReportFact.Kind], from: Date, to: Date, by: ScoreSubject.Kind?) async throws -> [ReportFactCount] {
        let subject = by.map { $0 == .unit ? "unit" : "person" } ?? "NULL"
        let marks = kinds.map { _ in "?" }.joined(separator: ", ")
        let arguments = StatementArguments(kinds.map(\.rawValue)) + [from.timeIntervalSinceReferenceDate, to.timeIntervalSinceReferenceDate]
        return try await read("count the cases of the report facts") { db in
            var cases: [ReportFactCount: Set<Int64>] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT fact, \(subject), case_id FROM report_facts WHERE fact IN (\(marks)) AND occurred_at >= ? AND occurred_at < ?
                """, arguments: arguments)
            while let row = try rows.next() {
                guard let kind = ReportFact.Kind(rawValue: row[0]) else { continue }
                cases[ReportFactCount(kind: kind, subject: row[1], count: 0), default: []].insert(row[2])
            }
            return cases.map { ReportFactCount(kind: $0.key.kind, subject: $0.key.subject, count: $0.value.count) }
                .sorted { ($0.kind.rawValue, $0.subject ?? "") < ($1.kind.rawValue, $1.subject ?? "") }
        }
    }

    static func factCountsSQL(kinds: [ReportFact.Kind], from: Date, to: Date, by: ScoreSubject.Kind?,
                              distinctCases: Bool) -> (String, StatementArguments) {
        let subject = by.map { $0 == .unit ? "unit" : "person" }
        let marks = kinds.map { _ in "?" }.joined(separator: ", ")
        let sql = """
            SELECT fact, \(subject ?? "NULL"), \(distinctCases ? "COUNT(DISTINCT case_id)" : "SUM(weight)") FROM report_facts
            WHERE fact IN (\(marks)) AND occurred_at >= ? AND occurred_at < ?
            GROUP BY fact\(subject.map { ", \($0)" } ?? "") ORDER BY fact\(subject.map { ", \($0)" } ?? "")
            """
        return (sql, StatementArguments(kinds.map(\.rawValue)) + [from.timeIntervalSinceReferenceDate, to.timeIntervalSinceReferenceDate])
    }

    public func caseDimensionCounts(openedFrom: Date, openedBefore: Date, asOf: Date) async throws -> [CaseDimensionCount] {
        try await read("count the cases opened by their fields") { db in
            try Row.fetchAll(db, sql: """
                SELECT kind, category, unit, channel, complainant_type, SUM(weight) AS n FROM report_facts
                WHERE fact = 'opened' AND opened_at >= ? AND opened_at < ? AND occurred_at < ?
                GROUP BY kind, category, unit, channel, complainant_type HAVING n <> 0
                """, arguments: [openedFrom.timeIntervalSinceReferenceDate, openedBefore.timeIntervalSinceReferenceDate,
                                 asOf.timeIntervalSinceReferenceDate]).map { row in
                CaseDimensionCount(dimensions: CaseDimensions(kind: row[0], category: row[1], unit: row[2], channel: row[3],
                                                              complainantType: row[4]), count: row[5])
            }
        }
    }

    public func caseFactCounts(kinds: [ReportFact.Kind], openedFrom: Date, openedBefore: Date,
                               occurredBefore: Date) async throws -> [CaseFactCount] {
        let marks = kinds.map { _ in "?" }.joined(separator: ", ")
        let arguments = StatementArguments(kinds.map(\.rawValue)) + [
            openedFrom.timeIntervalSinceReferenceDate, openedBefore.timeIntervalSinceReferenceDate, occurredBefore.timeIntervalSinceReferenceDate,
        ]
        return try await read("count the report facts of each case") { db in
            try Row.fetchAll(db, sql: """
                SELECT case_id, opened_at, fact, value, COUNT(*) FROM report_facts
                WHERE fact IN (\(marks)) AND opened_at >= ? AND opened_at < ? AND occurred_at < ?
                GROUP BY case_id, opened_at, fact, value ORDER BY case_id, fact, value
                """, arguments: arguments).compactMap { row in
                ReportFact.Kind(rawValue: row[2]).map {
                    CaseFactCount(caseID: row[0], openedAt: Date(timeIntervalSinceReferenceDate: row[1]), kind: $0, value: row[3], count: row[4])
                }
            }
        }
    }

    public func deductionFacts(from: Date, to: Date, by: ScoreSubject.Kind) async throws -> [ReportFact] {
        let subject = by == .unit ? "unit" : "person"
        return try await read("read the deductions") { db in
            try Row.fetchAll(db, sql: """
                SELECT case_id, seq, occurred_at, opened_at, unit, person, value, points, rule_id, pack_version FROM report_facts
                WHERE fact = 'deduction' AND occurred_at >= ? AND occurred_at < ? AND \(subject) IS NOT NULL
                """, arguments: [from.timeIntervalSinceReferenceDate, to.timeIntervalSinceReferenceDate]).map { row in
                ReportFact(caseID: row[0], seq: row[1], kind: .deduction, occurredAt: Date(timeIntervalSinceReferenceDate: row[2]),
                           openedAt: Date(timeIntervalSinceReferenceDate: row[3]), unit: row[4], person: row[5], value: row[6],
                           points: row[7], ruleID: row[8], packVersion: row[9])
            }
        }
    }

    private static func summaryColumns(_ s: CaseSummary) -> StatementArguments {
        [
            s.state, s.handlingUnit, s.kind, s.category, s.level, s.channel, s.text,
            s.openedAt.timeIntervalSinceReferenceDate, s.updatedAt.timeIntervalSinceReferenceDate,
            s.closedAt?.timeIntervalSinceReferenceDate, s.earliestDue?.timeIntervalSinceReferenceDate,
            s.nextWakeup?.timeIntervalSinceReferenceDate, s.version, s.packVersion, s.assignee, s.phoneDigest,
        ]
    }

    private static func insert(_ db: Database, events: [Event], caseID: Int64, firstSeq: Int) throws {
        guard !events.isEmpty else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let statement = try db.cachedStatement(sql: """
            INSERT INTO events (case_id, seq, at, occurred_at, actor, type, rule_id, pack_version, body)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for (i, e) in events.enumerated() {
            let body = String(decoding: try encoder.encode(e.body), as: UTF8.self)
            try statement.execute(arguments: [
                caseID, firstSeq + i, e.at.timeIntervalSinceReferenceDate, e.occurredAt.timeIntervalSinceReferenceDate,
                e.actor, e.type, e.ruleID, e.packVersion, body,
            ])
        }
    }

    // MARK: - Reads

    public func events(caseID: Int64) async throws -> [Event] {
        try await read("read the events of case \(caseID)") { db in
            try Self.fetchEvents(db, sql: "SELECT \(Self.eventColumns) FROM events WHERE case_id = ? ORDER BY seq", arguments: [caseID])
        }
    }

    public func events(caseIDs: [Int64]) async throws -> [Event] {
        let ids = Set(caseIDs).sorted()
        guard !ids.isEmpty else { return [] }
        return try await read("read the events of \(ids.count) cases") { db in
            try Self.fetchEvents(db, sql: """
                SELECT \(Self.eventColumns) FROM events WHERE case_id IN (SELECT value FROM json_each(?)) ORDER BY case_id, seq
                """, arguments: [Self.jsonArray(ids)])
        }
    }

    public func events(caseIDs: [Int64], types: Set<String>) async throws -> [Event] {
        let ids = Set(caseIDs).sorted()
        guard !ids.isEmpty, !types.isEmpty else { return [] }
        // `+type`: the cases' own rows by primary key, not the type index over the whole store.
        return try await read("read events of \(ids.count) cases by type") { db in
            try Self.fetchEvents(db, sql: """
                SELECT \(Self.eventColumns) FROM events
                WHERE case_id IN (SELECT value FROM json_each(?)) AND +type IN (SELECT value FROM json_each(?))
                ORDER BY case_id, seq
                """, arguments: [Self.jsonArray(ids), Self.jsonStrings(types.sorted())])
        }
    }

    public func summary(caseID: Int64) async throws -> CaseSummary? {
        try await read("read case \(caseID)") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM cases WHERE id = ?", arguments: [caseID]).map(Self.summary)
        }
    }

    public func numbers(caseIDs: [Int64]) async throws -> [Int64: String] {
        let ids = Set(caseIDs).sorted()
        guard !ids.isEmpty else { return [:] }
        return try await read("read the numbers of \(ids.count) cases") { db in
            var out: [Int64: String] = [:]
            let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT id, number FROM cases WHERE id IN (SELECT value FROM json_each(?))"),
                                           arguments: [Self.jsonArray(ids)])
            while let row = try rows.next() { out[row[0]] = row[1] }
            return out
        }
    }

    public func caseID(number: String) async throws -> Int64? {
        try await read("look up case \(number)") { db in
            try Int64.fetchOne(db, sql: "SELECT id FROM cases WHERE number = ?", arguments: [number])
        }
    }

    public func list(_ query: CaseQuery) async throws -> [CaseSummary] {
        let (sql, arguments) = Self.listSQL(query, lookupKey)
        return try await read("list cases") { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.summary)
        }
    }

    public func count(_ query: CaseQuery) async throws -> Int {
        let (filter, arguments) = Self.filter(query, lookupKey)
        return try await read("count cases") { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM cases" + filter, arguments: arguments) ?? 0
        }
    }

    public func openCaseCounts(overdueAt: Date, dueBefore: Date) async throws -> [OpenCaseCount] {
        try await read("count the open cases by unit and state") { db in
            // The open-cases index (handling_unit, state, earliest_due … WHERE closed_at IS NULL) covers it, in
            // the groups' order; named, as the planner otherwise takes cases_pack_version and sorts (35 ms, not 10, on a million cases).
            try Row.fetchAll(db, sql: """
                SELECT handling_unit, state, COUNT(*), COUNT(CASE WHEN earliest_due < ? THEN 1 END),
                    COUNT(CASE WHEN earliest_due < ? THEN 1 END)
                FROM cases INDEXED BY \(SQLiteStore.openUnitIndexName) WHERE closed_at IS NULL GROUP BY handling_unit, state ORDER BY handling_unit, state
                """, arguments: [overdueAt.timeIntervalSinceReferenceDate, dueBefore.timeIntervalSinceReferenceDate]).map { row in
                OpenCaseCount(unit: row[0], state: row[1], open: row[2], overdue: row[3], dueBefore: row[4])
            }
        }
    }

    public func dueForSweep(at now: Date, limit: Int) async throws -> [Int64] {
        try await read("find cases due for the sweep") { db in
            try Int64.fetchAll(db, sql: Self.sweepSQL, arguments: Self.sweepArguments(now, limit))
        }
    }

    public func events(types: Set<String>, occurredFrom from: Date, to: Date) async throws -> [Event] {
        guard !types.isEmpty else { return [] }
        let (sql, arguments) = Self.eventsByTypeSQL(types, from, to)
        return try await read("read events by type") { db in
            try Self.fetchEvents(db, sql: sql, arguments: arguments)
        }
    }

    public func caseIDs(eventTypes types: Set<String>, occurredFrom from: Date, to: Date) async throws -> [Int64] {
        guard !types.isEmpty else { return [] }
        let marks = Array(repeating: "?", count: types.count).joined(separator: ", ")
        let args = StatementArguments(types.sorted()) + [from.timeIntervalSinceReferenceDate, to.timeIntervalSinceReferenceDate]
        return try await read("find the cases with events by type") { db in
            try Int64.fetchAll(db, sql: """
                SELECT DISTINCT case_id FROM events WHERE type IN (\(marks)) AND occurred_at >= ? AND occurred_at < ?
                ORDER BY case_id
                """, arguments: args)
        }
    }

    public func packVersions() async throws -> [PackVersionUse] {
        try await read("list pack versions") { db in
            var pinned: [String: (cases: Int, open: Int)] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT pack_version, COUNT(*) AS n, COUNT(*) - COUNT(closed_at) AS open
                FROM cases GROUP BY pack_version
                """) {
                pinned[row["pack_version"]] = (row["n"], row["open"])
            }
            return try Row.fetchAll(db, sql: """
                SELECT pack_version, MIN(at) AS first, MAX(at) AS last, COUNT(*) AS n
                FROM events GROUP BY pack_version ORDER BY first, pack_version
                """).map { row in
                let version: String = row["pack_version"]
                return PackVersionUse(
                    version: version,
                    firstUsed: Date(timeIntervalSinceReferenceDate: row["first"]),
                    lastUsed: Date(timeIntervalSinceReferenceDate: row["last"]),
                    events: row["n"], cases: pinned[version]?.cases ?? 0, openCases: pinned[version]?.open ?? 0)
            }
        }
    }

    public func savePack(_ snapshot: PackSnapshot, at: Date) async throws {
        let files = try snapshot.storedFiles()
        try await write("save pack version \(snapshot.version.prefix(12))") { db in
            try db.execute(sql: """
                INSERT INTO packs (version, pack_id, name, root, files, saved_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(version) DO NOTHING
                """, arguments: [snapshot.version, snapshot.packID, snapshot.name, snapshot.root, files,
                                 at.timeIntervalSinceReferenceDate])
        }
    }

    public func pack(version: String) async throws -> PackSnapshot? {
        let found = try await read("read pack version \(version.prefix(12))") { db -> (String, String, String, String)? in
            guard let row = try Row.fetchOne(db, sql: "SELECT pack_id, name, root, files FROM packs WHERE version = ?", arguments: [version])
            else { return nil }
            return (row["pack_id"], row["name"], row["root"], row["files"])
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

    /// `expected` nil: at the end, whatever the version (the one writer makes it so).
    private func appendRecords(stream: String, expected: Int?, events: [RecordEvent], outbox: [OutboxEntry]) async throws {
        try await write("append \(events.count) record(s) to stream \(stream)") { db in
            let actual = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM records WHERE stream = ?", arguments: [stream]) ?? 0
            if let expected, actual != expected {
                throw StoreError.recordConflict(stream: stream, expected: expected, actual: actual)
            }
            let expectedVersion = actual
            let statement = try db.cachedStatement(sql: """
                INSERT INTO records (stream, seq, at, actor, type, pack_version, body) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for (i, e) in events.enumerated() {
                try statement.execute(arguments: [
                    stream, expectedVersion + i + 1, e.at.timeIntervalSinceReferenceDate, e.actor, e.type, e.packVersion, e.body,
                ])
            }
            try Self.enqueue(db, outbox, caseID: nil)
        }
    }

    public func records(stream: String) async throws -> [RecordEvent] {
        try await read("read record stream \(stream)") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM records WHERE stream = ? ORDER BY seq", arguments: [stream]).map(Self.record)
        }
    }

    public func recordsVersion(stream: String) async throws -> Int {
        try await read("read the version of record stream \(stream)") { db in
            try Int.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(seq), 0) FROM records WHERE stream = ?"), arguments: [stream]) ?? 0
        }
    }

    public func lastRecord(stream: String) async throws -> RecordEvent? {
        try await read("read the last record of stream \(stream)") { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM records WHERE stream = ? ORDER BY seq DESC LIMIT 1"), arguments: [stream]).map(Self.record)
        }
    }

    public func records(streamPrefix: String) async throws -> [RecordEvent] {
        // A byte prefix of the UTF-8, so no LIKE or GLOB wildcard needs escaping; the lower bound
        // lets the primary key narrow the scan. BINARY collation orders streams by their UTF-8 bytes.
        try await read("read record streams starting \(streamPrefix)") { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM records
                WHERE stream >= ? AND substr(CAST(stream AS BLOB), 1, ?) = CAST(? AS BLOB)
                ORDER BY stream, seq
                """, arguments: [streamPrefix, streamPrefix.utf8.count, streamPrefix]).map(Self.record)
        }
    }

    private static func record(_ row: Row) -> RecordEvent {
        RecordEvent(stream: row["stream"], seq: row["seq"], at: Date(timeIntervalSinceReferenceDate: row["at"]),
                    actor: row["actor"], type: row["type"], packVersion: row["pack_version"], body: row["body"])
    }

    // MARK: - Notification outbox

    @discardableResult
    private static func enqueue(_ db: Database, _ entries: [OutboxEntry], caseID: Int64?) throws -> [Int64] {
        guard !entries.isEmpty else { return [] }
        let statement = try db.cachedStatement(sql: """
            INSERT INTO outbox (case_id, channel, notification, created_at, status, attempts, next_attempt_at)
            VALUES (?, ?, ?, ?, 'pending', 0, ?)
            """)
        var ids: [Int64] = []
        for e in entries {
            let at = e.notification.at.timeIntervalSinceReferenceDate
            try statement.execute(arguments: [caseID ?? e.caseID, e.channel, try OutboxCoding.encode(e.notification), at, at])
            ids.append(db.lastInsertedRowID)
        }
        return ids
    }

    @discardableResult
    public func enqueueNotifications(_ entries: [OutboxEntry]) async throws -> [Int64] {
        try await write("enqueue \(entries.count) notification(s)") { db in try Self.enqueue(db, entries, caseID: nil) }
    }

    static let dueOutboxSQL = """
        SELECT * FROM outbox INDEXED BY \(Migrations.outboxDueIndex) WHERE status = 'pending' AND next_attempt_at <= ?
            AND (case_id = 0 OR NOT EXISTS (
                SELECT 1 FROM outbox AS earlier WHERE earlier.case_id = outbox.case_id AND earlier.channel = outbox.channel
                    AND earlier.status = 'pending' AND earlier.id < outbox.id))
        ORDER BY next_attempt_at, id LIMIT ?
        """

    public func eventFeed(after cursor: String?, limit: Int) async throws -> EventFeedPage {
        var from: Int64 = 0
        if let cursor {
            guard let n = Int64(cursor), n >= 0 else { throw StoreError.invalidCursor(cursor) }
            from = n
        }
        let start = from, limit = max(0, limit)
        return try await read("read the event feed after \(start)") { db in
            let positions = try Int64.fetchAll(db, sql: "SELECT pos FROM event_feed WHERE pos > ? ORDER BY pos LIMIT ?",
                                               arguments: [start, limit])
            let events = try Self.fetchEvents(db, sql: """
                SELECT e.case_id, e.seq, e.at, e.actor, e.rule_id, e.pack_version, e.body
                FROM event_feed AS f JOIN events AS e ON e.case_id = f.case_id AND e.seq = f.seq
                WHERE f.pos > ? ORDER BY f.pos LIMIT ?
                """, arguments: [start, limit])
            let end = positions.last ?? start
            return EventFeedPage(events: events, cursor: cursor == nil && positions.isEmpty ? nil : String(end))
        }
    }

    public func dueOutbox(at now: Date, limit: Int) async throws -> [OutboxItem] {
        try await read("read the due outbox") { db in
            try Row.fetchAll(db, sql: Self.dueOutboxSQL, arguments: [now.timeIntervalSinceReferenceDate, max(0, limit)])
                .map(Self.outboxItem)
        }
    }

    public func markDelivered(id: Int64, at: Date) async throws {
        try await write("mark outbox item \(id) delivered") { db in
            try db.execute(sql: """
                UPDATE outbox SET status = 'delivered', delivered_at = ?, attempts = attempts + 1
                WHERE id = ? AND status = 'pending'
                """, arguments: [at.timeIntervalSinceReferenceDate, id])
        }
    }

    public func markFailed(id: Int64, error: String, nextAttemptAt: Date, giveUp: Bool) async throws {
        try await write("mark outbox item \(id) failed") { db in
            try db.execute(sql: """
                UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, status = ?
                WHERE id = ? AND status = 'pending'
                """, arguments: [error, nextAttemptAt.timeIntervalSinceReferenceDate, giveUp ? "failed" : "pending", id])
        }
    }

    public func outboxCounts() async throws -> [OutboxItem.Status: Int] {
        try await read("count the outbox") { db in
            var out: [OutboxItem.Status: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM outbox GROUP BY status") {
                if let s = OutboxItem.Status(rawValue: row["status"]) { out[s] = row["n"] }
            }
            return out
        }
    }

    public func outbox(status: OutboxItem.Status?, limit: Int) async throws -> [OutboxItem] {
        try await read("list the outbox") { db in
            if let status {
                return try Row.fetchAll(db, sql: "SELECT * FROM outbox WHERE status = ? ORDER BY id LIMIT ?",
                                        arguments: [status.rawValue, max(0, limit)]).map(Self.outboxItem)
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM outbox ORDER BY id LIMIT ?", arguments: [max(0, limit)])
                .map(Self.outboxItem)
        }
    }

    @discardableResult
    public func retryOutbox(ids: [Int64]?, at: Date) async throws -> Int {
        try await write("retry outbox items") { db in
            let t = at.timeIntervalSinceReferenceDate
            guard let ids else {
                try db.execute(sql: "UPDATE outbox SET status = 'pending', next_attempt_at = ?, attempts = 0 WHERE status = 'failed'",
                               arguments: [t])
                return db.changesCount
            }
            var changed = 0
            for id in Set(ids) {
                try db.execute(sql: """
                    UPDATE outbox SET status = 'pending', next_attempt_at = ?, attempts = 0
                    WHERE id = ? AND status != 'delivered'
                    """, arguments: [t, id])
                changed += db.changesCount
            }
            return changed
        }
    }

    private static func outboxItem(_ row: Row) throws -> OutboxItem {
        let id: Int64 = row["id"]
        let json: String = row["notification"]
        let notification: KesuKernel.Notification
        do { notification = try OutboxCoding.decode(json) } catch {
            throw StoreError.failure(operation: "decode outbox item \(id)", detail: "\(error)")
        }
        let statusText: String = row["status"]
        return OutboxItem(
            id: id, caseID: row["case_id"], channel: row["channel"], notification: notification,
            createdAt: Date(timeIntervalSinceReferenceDate: row["created_at"]),
            status: OutboxItem.Status(rawValue: statusText) ?? .pending, attempts: row["attempts"],
            nextAttemptAt: Date(timeIntervalSinceReferenceDate: row["next_attempt_at"]), lastError: row["last_error"],
            deliveredAt: (row["delivered_at"] as Double?).map(Date.init(timeIntervalSinceReferenceDate:)))
    }

    // MARK: - Leases

    public func acquireLease(_ name: String, holder: String, until: Date, now: Date) async throws -> Bool {
        try await write("acquire lease '\(name)' for \(holder)") { db in
            // One statement: take it when absent, expired, or already ours; otherwise leave it.
            try db.execute(sql: """
                INSERT INTO leases (name, holder, until) VALUES (?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, until = excluded.until
                WHERE leases.holder = excluded.holder OR leases.until <= ?
                """, arguments: [name, holder, until.timeIntervalSinceReferenceDate, now.timeIntervalSinceReferenceDate])
            return db.changesCount > 0
        }
    }

    // MARK: - SQL

    static let sweepSQL = """
        SELECT id FROM cases
        WHERE closed_at IS NULL AND next_wakeup IS NOT NULL AND next_wakeup <= ?
        ORDER BY next_wakeup, id LIMIT ?
        """

    static func sweepArguments(_ now: Date, _ limit: Int) -> StatementArguments {
        [now.timeIntervalSinceReferenceDate, max(0, limit)]
    }

    static func filter(_ q: CaseQuery, _ lookupKey: LookupKey) -> (String, StatementArguments) {
        var terms: [String] = []
        var args = StatementArguments()
        if let state = q.state { terms.append("state = ?"); args += [state] }
        if let states = q.states {
            // An empty list takes no case (`IN ()` is not SQL everywhere).
            terms.append(states.isEmpty ? "0" : "state IN (\(Array(repeating: "?", count: states.count).joined(separator: ", ")))")
            args += StatementArguments(states)
        }
        if let unit = q.unit { terms.append("handling_unit = ?"); args += [unit] }
        if let category = q.category { terms.append("category = ?"); args += [category] }
        if let assignee = q.assignee { terms.append("assignee = ?"); args += [assignee] }
        if let digest = q.phoneDigest(with: lookupKey) { terms.append("phone_digest = ?"); args += [digest] }
        if q.openOnly { terms.append("closed_at IS NULL") }
        if let after = q.after {
            terms.append("(opened_at, id) > (?, ?)")
            args += [after.openedAt.timeIntervalSinceReferenceDate, after.id]
        }
        if let at = q.overdueAt {
            // Matches the partial index cases_overdue.
            terms.append("closed_at IS NULL AND earliest_due IS NOT NULL AND earliest_due < ?")
            args += [at.timeIntervalSinceReferenceDate]
        }
        if let from = q.openedFrom { terms.append("opened_at >= ?"); args += [from.timeIntervalSinceReferenceDate] }
        if let before = q.openedBefore { terms.append("opened_at < ?"); args += [before.timeIntervalSinceReferenceDate] }
        if let text = q.text, !text.isEmpty {
            // instr: a case-sensitive plain substring, no LIKE wildcards to escape.
            terms.append("(instr(text, ?) > 0 OR instr(number, ?) > 0)")
            args += [text, text]
        }
        return (terms.isEmpty ? "" : " WHERE " + terms.joined(separator: " AND "), args)
    }

    static func listSQL(_ q: CaseQuery, _ lookupKey: LookupKey) -> (String, StatementArguments) {
        var (filter, args) = filter(q, lookupKey)
        args += [max(0, q.limit), max(0, q.offset)]
        return ("SELECT * FROM cases" + filter + " ORDER BY " + orderBy(q.order) + " LIMIT ? OFFSET ?", args)
    }

    /// The listing order; `CaseOrder.precedes` says the same in Swift.
    static func orderBy(_ order: CaseOrder) -> String {
        switch order {
        case .newest: "opened_at DESC, id DESC"
        // SQLite puts NULLs first when ascending; `IS NULL` (0 before 1) puts them last.
        case .dueFirst: "earliest_due IS NULL, earliest_due, opened_at, id"
        case .oldest: "opened_at, id"
        }
    }

    static func eventsByTypeSQL(_ types: Set<String>, _ from: Date, _ to: Date) -> (String, StatementArguments) {
        let marks = Array(repeating: "?", count: types.count).joined(separator: ", ")
        var args = StatementArguments(types.sorted())
        args += [from.timeIntervalSinceReferenceDate, to.timeIntervalSinceReferenceDate]
        return ("""
            SELECT \(eventColumns) FROM events WHERE type IN (\(marks)) AND occurred_at >= ? AND occurred_at < ?
            ORDER BY case_id, seq
            """, args)
    }

    private static func summary(_ row: Row) -> CaseSummary {
        func date(_ column: String) -> Date? {
            (row[column] as Double?).map(Date.init(timeIntervalSinceReferenceDate:))
        }
        return CaseSummary(
            id: row["id"], number: row["number"], state: row["state"], handlingUnit: row["handling_unit"],
            kind: row["kind"], category: row["category"], level: row["level"], channel: row["channel"],
            text: row["text"], openedAt: Date(timeIntervalSinceReferenceDate: row["opened_at"]),
            updatedAt: Date(timeIntervalSinceReferenceDate: row["updated_at"]), closedAt: date("closed_at"),
            earliestDue: date("earliest_due"), nextWakeup: date("next_wakeup"), version: row["version"],
            packVersion: row["pack_version"], assignee: row["assignee"], phoneDigest: row["phone_digest"])
    }

    /// Ids as one JSON array argument, read with `json_each`: the statement text (and its cached
    /// plan) stays the same for any number of ids.
    static func jsonArray(_ ids: [Int64]) -> String { "[" + ids.map(String.init).joined(separator: ",") + "]" }
    static func jsonStrings(_ texts: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(texts)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static let eventColumns = "case_id, seq, at, actor, rule_id, pack_version, body"

    private static func fetchEvents(_ db: Database, sql: String, arguments: StatementArguments) throws -> [Event] {
        let decoder = JSONDecoder()
        // Cached: reports run the same few statements many times.
        let cursor = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
        var events: [Event] = []
        // By position, in the order of `eventColumns`: looking columns up by name costs more than the row.
        while let row = try cursor.next() {
            let caseID: Int64 = row[0]
            let seq: Int = row[1]
            let json: String = row[6]
            let body: EventBody
            do {
                body = try EventBody.decode(json: json, decoder: decoder)
            } catch {
                throw StoreError.failure(operation: "decode event \(seq) of case \(caseID)", detail: "\(error)")
            }
            events.append(Event(
                caseID: caseID, seq: seq, at: Date(timeIntervalSinceReferenceDate: row[2]),
                actor: row[3], ruleID: row[4], packVersion: row[5], body: body))
        }
        return events
    }

    // MARK: - Transactions and errors

    /// Carries an error thrown by a caller's `build` through the transaction unchanged.
    private struct BuildFailure: Error { var underlying: any Error }

    private func write<T: Sendable>(
        _ operation: @autoclosure () -> String, _ updates: @Sendable (Database) throws -> T
    ) async throws -> T {
        do { return try await writer.write(updates) } catch { throw Self.wrap(error, operation()) }
    }

    private func read<T: Sendable>(
        _ operation: @autoclosure () -> String, _ value: @Sendable (Database) throws -> T
    ) async throws -> T {
        do { return try await writer.read(value) } catch { throw Self.wrap(error, operation()) }
    }

    /// `StoreError`, cancellation and the caller's own errors pass through; the rest becomes
    /// `StoreError.failure` saying what we were doing and what SQLite said.
    static func wrap(_ error: any Error, _ operation: String) -> any Error {
        switch error {
        case let e as StoreError: e
        case let e as BuildFailure: e.underlying
        case is CancellationError: error
        case let e as DatabaseError:
            StoreError.failure(operation: operation, detail: "\(e.message ?? "SQLite error") (\(e.resultCode))")
        default: StoreError.failure(operation: operation, detail: "\(error)")
        }
    }
}

// MARK: - Operations and diagnostics

extension SQLiteStore {
    /// The migrations recorded in the file, in the order they were applied.
    public func appliedMigrations() async throws -> [String] {
        try await read("read the applied migrations") { db in try Migrations.migrator(lookupKey: lookupKey).appliedMigrations(db) }
    }

    /// Applies any migration not yet recorded (a no-op on an up-to-date file).
    public func migrate() throws {
        do { try Migrations.migrator(lookupKey: lookupKey).migrate(writer) } catch { throw Self.wrap(error, "migrate the database") }
    }

    /// A database file as an older version left it, for migration tests: migrated up to
    /// `migration` only, then `sql` run in it (the rows that version would have written).
    static func makeOldDatabase(path: String, upTo migration: String, sql: String) throws {
        let queue = try DatabaseQueue(path: path)
        try Migrations.migrator(lookupKey: .random()).migrate(queue, upTo: migration)
        try queue.write { db in try db.execute(sql: sql) }
        try queue.close()
    }

    /// Gathers planner statistics (`ANALYZE`).
    public func analyze() async throws {
        try await write("analyze the database") { db in try db.execute(sql: "ANALYZE") }
    }

    /// The value of a pragma on the writer connection, e.g. `journal_mode`, `synchronous`.
    public func pragma(_ name: String) async throws -> String? {
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0 == "_" }) else {
            throw StoreError.failure(operation: "read pragma \(name)", detail: "not a pragma name")
        }
        do {
            return try await writer.writeWithoutTransaction { db in
                try String.fetchOne(db, sql: "PRAGMA \(name)")
            }
        } catch { throw Self.wrap(error, "read pragma \(name)") }
    }

    /// `EXPLAIN QUERY PLAN` of the sweep query, one line per plan step.
    public func dueForSweepQueryPlan(at now: Date, limit: Int) async throws -> String {
        try await explain(Self.sweepSQL, Self.sweepArguments(now, limit))
    }

    /// `EXPLAIN QUERY PLAN` of `dueOutbox(at:limit:)`.
    public func dueOutboxQueryPlan(at now: Date, limit: Int) async throws -> String {
        try await explain(Self.dueOutboxSQL, [now.timeIntervalSinceReferenceDate, max(0, limit)])
    }

    /// `EXPLAIN QUERY PLAN` of a listing.
    public func listQueryPlan(_ query: CaseQuery) async throws -> String {
        let (sql, arguments) = Self.listSQL(query, lookupKey)
        return try await explain(sql, arguments)
    }

    /// `EXPLAIN QUERY PLAN` of `events(types:occurredFrom:to:)`.
    public func eventsByTypeQueryPlan(types: Set<String>, occurredFrom from: Date, to: Date) async throws -> String {
        let (sql, arguments) = Self.eventsByTypeSQL(types, from, to)
        return try await explain(sql, arguments)
    }

    private func explain(_ sql: String, _ arguments: StatementArguments) async throws -> String {
        try await read("explain a query") { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
                .map { $0["detail"] as String }.joined(separator: "\n")
        }
    }
}

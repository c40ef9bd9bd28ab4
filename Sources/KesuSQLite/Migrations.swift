import GRDB
import KesuKernel

/// The schema, as versioned migrations. Never edit a migration that has shipped: add one.
///
/// Dates are stored as REAL seconds since Foundation's reference date (2001-01-01 00:00:00 UTC),
/// i.e. `Date.timeIntervalSinceReferenceDate`. That is exactly the Double a `Date` holds, so
/// every Date comes back `==` to what was stored. (Seconds since 1970 would not: adding the
/// 978 307 200 s offset rounds away the last bit for about two Dates in three.) In SQL:
/// `datetime(at + 978307200, 'unixepoch')`.
enum Migrations {
    static let sweepIndex = "cases_sweep"
    static let overdueIndex = "cases_overdue"
    static let stateIndex = "cases_state"
    static let unitStateIndex = "cases_unit_state"
    static let unitStateDueIndex = "cases_unit_state_due"
    static let phoneIndex = "cases_phone"
    static let phoneDigestIndex = "cases_phone_digest"
    static let assigneeIndex = "cases_assignee"
    static let openStateIndex = "cases_open_state"
    static let openUnitIndex = "cases_open_unit"
    static let openedIndex = "cases_opened_at"
    static let eventsTypeIndex = "events_type_occurred_at"
    static let eventsPackIndex = "events_pack_version_at"
    static let outboxDueIndex = "outbox_due"

    /// Every migration's id, in order.
    static var ids: [String] { migrator(lookupKey: .random()).migrations }

    /// The migrations, with the key v11 digests the phones with.
    static func migrator(lookupKey: LookupKey) -> DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-cases-events") { db in
            try db.execute(sql: """
                CREATE TABLE cases (
                    id INTEGER PRIMARY KEY,
                    number TEXT NOT NULL UNIQUE,
                    state TEXT NOT NULL,
                    handling_unit TEXT,
                    kind TEXT,
                    category TEXT,
                    level TEXT,
                    channel TEXT,
                    text TEXT NOT NULL DEFAULT '',
                    opened_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    closed_at REAL,
                    earliest_due REAL,
                    next_wakeup REAL,
                    version INTEGER NOT NULL,
                    pack_version TEXT NOT NULL
                );
                CREATE TABLE events (
                    case_id INTEGER NOT NULL REFERENCES cases(id),
                    seq INTEGER NOT NULL CHECK (seq >= 1),
                    at REAL NOT NULL,
                    occurred_at REAL NOT NULL,
                    actor TEXT NOT NULL,
                    type TEXT NOT NULL,
                    rule_id TEXT,
                    pack_version TEXT NOT NULL,
                    body TEXT NOT NULL,
                    PRIMARY KEY (case_id, seq)
                ) WITHOUT ROWID;
                CREATE TABLE counters (
                    key TEXT PRIMARY KEY NOT NULL,
                    value INTEGER NOT NULL
                );
                """)
        }
        m.registerMigration("v2-query-indexes") { db in
            try db.execute(sql: """
                CREATE INDEX \(sweepIndex) ON cases(next_wakeup)
                    WHERE closed_at IS NULL AND next_wakeup IS NOT NULL;
                CREATE INDEX \(overdueIndex) ON cases(earliest_due)
                    WHERE closed_at IS NULL AND earliest_due IS NOT NULL;
                CREATE INDEX \(stateIndex) ON cases(state);
                CREATE INDEX \(unitStateIndex) ON cases(handling_unit, state);
                CREATE INDEX \(openedIndex) ON cases(opened_at);
                CREATE INDEX \(eventsTypeIndex) ON events(type, occurred_at);
                CREATE INDEX \(eventsPackIndex) ON events(pack_version, at);
                """)
        }
        m.registerMigration("v3-packs") { db in
            // The sources of every pack version cases were written under (cases are pinned to them).
            try db.execute(sql: """
                CREATE TABLE packs (
                    version TEXT PRIMARY KEY NOT NULL,
                    pack_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    root TEXT NOT NULL,
                    files TEXT NOT NULL,
                    saved_at REAL NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX cases_pack_version ON cases(pack_version, closed_at);
                """)
        }
        m.registerMigration("v4-records") { db in
            // Append-only record streams outside cases (penalty decisions, report submissions).
            try db.execute(sql: """
                CREATE TABLE records (
                    stream TEXT NOT NULL,
                    seq INTEGER NOT NULL CHECK (seq >= 1),
                    at REAL NOT NULL,
                    actor TEXT NOT NULL,
                    type TEXT NOT NULL,
                    pack_version TEXT NOT NULL,
                    body TEXT NOT NULL,
                    PRIMARY KEY (stream, seq)
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v5-outbox") { db in
            // Notifications to deliver, one row per (notification, channel), written in the same
            // transaction as the events or records that cause them. case_id 0: not about a case.
            try db.execute(sql: """
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    case_id INTEGER NOT NULL DEFAULT 0,
                    channel TEXT NOT NULL,
                    notification TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at REAL NOT NULL,
                    last_error TEXT,
                    delivered_at REAL
                );
                CREATE INDEX \(outboxDueIndex) ON outbox(next_attempt_at, id) WHERE status = 'pending';
                CREATE INDEX outbox_status ON outbox(status, id);
                """)
        }
        m.registerMigration("v6-idempotency-keys") { db in
            // A retried intake (same key) returns the case the first one created, never a second.
            try db.execute(sql: """
                CREATE TABLE idempotency_keys (
                    key TEXT PRIMARY KEY NOT NULL,
                    case_id INTEGER NOT NULL REFERENCES cases(id),
                    fingerprint TEXT NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v7-leases") { db in
            // Named leases: servers sharing one database take `sweep` so periodic work runs once.
            try db.execute(sql: """
                CREATE TABLE leases (
                    name TEXT PRIMARY KEY NOT NULL,
                    holder TEXT NOT NULL,
                    until REAL NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v8-assignee-phone") { db in
            // Work queues (a unit's or a person's open cases, most urgent first) and search by the
            // complainant's phone. (handling_unit, state, earliest_due) serves every query
            // cases_unit_state served, so it replaces it.
            try db.execute(sql: """
                ALTER TABLE cases ADD COLUMN assignee TEXT;
                ALTER TABLE cases ADD COLUMN phone TEXT;
                """)
            try backfillAssigneeAndPhone(db)   // before the indexes: fewer index writes
            try db.execute(sql: """
                DROP INDEX \(unitStateIndex);
                CREATE INDEX \(unitStateDueIndex) ON cases(handling_unit, state, earliest_due);
                CREATE INDEX \(assigneeIndex) ON cases(assignee, state, earliest_due);
                CREATE INDEX \(phoneIndex) ON cases(phone, opened_at);
                """)
        }
        m.registerMigration("v9-open-queues") { db in
            // The console's queues list open cases only: a clerk's by state everywhere, a unit's by
            // unit. On a million-case store the full indexes walk every closed case of the unit
            // (60,000 rows, 100-300 ms for one page of a unit queue); over the open cases alone the
            // same page reads a few thousand entries (1 ms), and a queue's sort keys come from the index.
            try db.execute(sql: """
                CREATE INDEX \(openStateIndex) ON cases(state, earliest_due, opened_at) WHERE closed_at IS NULL;
                CREATE INDEX \(openUnitIndex) ON cases(handling_unit, state, earliest_due, opened_at) WHERE closed_at IS NULL;
                """)
        }
        m.registerMigration("v10-event-feed") { db in
            // The feed (`GET /v1/events`): every event's place in one order, the order of its commit (SQLite has
            // one writer at a time). A trigger writes it in the event's own transaction; older events are
            // placed by time, case and sequence. The outbox index finds an item's earlier pending items of its
            // case and channel: events are delivered in case order per channel.
            try db.execute(sql: """
                CREATE TABLE event_feed (
                    pos INTEGER PRIMARY KEY AUTOINCREMENT,
                    case_id INTEGER NOT NULL,
                    seq INTEGER NOT NULL
                );
                INSERT INTO event_feed (case_id, seq) SELECT case_id, seq FROM events ORDER BY at, case_id, seq;
                CREATE TRIGGER events_feed AFTER INSERT ON events BEGIN
                    INSERT INTO event_feed (case_id, seq) VALUES (NEW.case_id, NEW.seq);
                END;
                CREATE INDEX outbox_case_pending ON outbox(case_id, channel, id) WHERE status = 'pending';
                """)
        }
        m.registerMigration("v11-phone-digest") { db in
            // Search by phone through a keyed hash (HMAC with the deployment's lookup key, kept outside the
            // database) instead of an index of the phones. Pages the old column leaves are zeroed.
            let digest = DatabaseFunction("kesu_phone_digest", argumentCount: 1, pure: true) { values in
                String.fromDatabaseValue(values[0]).flatMap(lookupKey.phoneDigest)
            }
            db.add(function: digest)
            defer { db.remove(function: digest) }
            let secureDelete = try Int.fetchOne(db, sql: "PRAGMA secure_delete") ?? 0
            try db.execute(sql: "PRAGMA secure_delete = ON")
            try db.execute(sql: """
                ALTER TABLE cases ADD COLUMN phone_digest TEXT;
                UPDATE cases SET phone_digest = kesu_phone_digest(phone) WHERE phone IS NOT NULL;
                DROP INDEX \(phoneIndex);
                ALTER TABLE cases DROP COLUMN phone;
                CREATE INDEX \(phoneDigestIndex) ON cases(phone_digest, opened_at);
                CREATE TABLE lookup_key (one INTEGER PRIMARY KEY CHECK (one = 1), fingerprint TEXT NOT NULL);
                """)
            try db.execute(sql: "INSERT INTO lookup_key (one, fingerprint) VALUES (1, ?)", arguments: [lookupKey.fingerprint])
            try db.execute(sql: "PRAGMA secure_delete = \(secureDelete)")
        }
        m.registerMigration("v12-report-facts") { db in
            // The read model (`ReportFact`): written with the events from now on. A store that already
            // holds events is not ready until `Engine.buildReportFacts` has folded them; reports fold meanwhile.
            try db.execute(sql: """
                CREATE TABLE report_facts (
                    case_id INTEGER NOT NULL REFERENCES cases(id),
                    seq INTEGER NOT NULL,
                    fact TEXT NOT NULL,
                    occurred_at REAL NOT NULL,
                    opened_at REAL NOT NULL,
                    unit TEXT,
                    person TEXT,
                    value TEXT,
                    weight INTEGER NOT NULL,
                    kind TEXT,
                    category TEXT,
                    channel TEXT,
                    complainant_type TEXT,
                    points REAL,
                    rule_id TEXT,
                    pack_version TEXT
                );
                CREATE INDEX report_facts_by_time ON report_facts(fact, occurred_at, unit, person, case_id, weight);
                CREATE INDEX report_facts_by_opening ON report_facts(fact, opened_at);
                CREATE INDEX report_facts_by_case ON report_facts(case_id, seq);
                CREATE TABLE report_facts_status (one INTEGER PRIMARY KEY CHECK (one = 1), ready INTEGER NOT NULL);
                INSERT INTO report_facts_status (one, ready) VALUES (1, NOT EXISTS (SELECT 1 FROM events));
                """)
        }
        return m
    }

    /// Refuses a key other than the one the database's phone index was made with.
    static func checkLookupKey(_ db: Database, _ key: LookupKey) throws {
        guard let stored = try String.fetchOne(db, sql: "SELECT fingerprint FROM lookup_key WHERE one = 1") else {
            try db.execute(sql: "INSERT INTO lookup_key (one, fingerprint) VALUES (1, ?)", arguments: [key.fingerprint])
            return
        }
        guard stored == key.fingerprint else { throw LookupKeyError.mismatch(stored: stored, given: key.fingerprint) }
    }

    /// Fills `assignee` and `phone` of the cases written before v8 from their events, as
    /// `CaseState` folds them (bodies are the synthesized Codable JSON: `{"assigned":{"person":…}}`).
    ///
    /// Phone: the last `complainant_phone` an intake or a transition gave (a transition's empty
    /// value removes it), normalised by the kernel's own function.
    ///
    /// Assignee: the person of the last `assigned` event, unless a `routed` event moved the case
    /// to another unit afterwards (which clears the assignee). The routed events from the last one
    /// before that assignment onwards move the case iff they name more than one unit, i.e. iff one
    /// of them differs from the case's final unit (`handling_unit`).
    static func backfillAssigneeAndPhone(_ db: Database) throws {
        let normalised = DatabaseFunction("kesu_normalised_phone", argumentCount: 1, pure: true) { values in
            String.fromDatabaseValue(values[0]).flatMap(PersonalData.normalisedPhone)
        }
        db.add(function: normalised)
        defer { db.remove(function: normalised) }
        try db.execute(sql: """
            UPDATE cases SET phone = kesu_normalised_phone((
                SELECT json_extract(body, '$.' || type || '.fields.complainant_phone') FROM events
                WHERE case_id = cases.id AND type IN ('intake', 'transition')
                    AND json_type(body, '$.' || type || '.fields.complainant_phone') IS NOT NULL
                ORDER BY seq DESC LIMIT 1));
            UPDATE cases SET assignee = (
                SELECT CASE WHEN NOT EXISTS (
                    SELECT 1 FROM events r
                    WHERE r.case_id = a.case_id AND r.type = 'routed'
                        AND r.seq >= COALESCE((SELECT MAX(p.seq) FROM events p
                                               WHERE p.case_id = a.case_id AND p.type = 'routed' AND p.seq < a.seq), a.seq)
                        AND json_extract(r.body, '$.routed.unit') IS NOT cases.handling_unit
                ) THEN json_extract(a.body, '$.assigned.person') END
                FROM events a WHERE a.case_id = cases.id AND a.type = 'assigned'
                ORDER BY a.seq DESC LIMIT 1)
            WHERE id IN (SELECT case_id FROM events WHERE type = 'assigned');
            """)
    }
}

import KesuKernel
import Logging
import PostgresNIO

/// The PostgreSQL schema, as versioned migrations recorded in `kesu_migrations`. Never edit a
/// migration that has shipped: add one.
///
/// Dates are `double precision` seconds since Foundation's reference date (2001-01-01 00:00:00
/// UTC), i.e. `Date.timeIntervalSinceReferenceDate`, exactly the Double a `Date` holds, so every
/// Date comes back `==` to what was stored (as in the SQLite store; `timestamptz` keeps only
/// microseconds). In SQL: `timestamptz '2001-01-01 00:00:00+00' + at * interval '1 second'`.
///
/// Text that is ordered (record stream names) uses the "C" collation: byte order of the UTF-8,
/// whatever the database's default collation.
enum PostgresMigrations {
    struct Migration: Sendable {
        var id: String
        var statements: [String]
        /// Work done in Swift after `statements`, then `after` (e.g. values only the program can compute).
        var code: (@Sendable (PostgresConnection, LookupKey, Logger) async throws -> Void)? = nil
        var after: [String] = []
    }

    static let phoneDigestIndex = "cases_phone_digest"

    static let sweepIndex = "cases_sweep"
    static let overdueIndex = "cases_overdue"
    static let outboxDueIndex = "outbox_due"

    /// The key of the advisory lock that serialises migrations across processes.
    static let lockKey: Int64 = 0x6B65_7375_6D69_6772   // "kesumigr"

    static let all: [Migration] = [
        Migration(id: "v1-cases-events", statements: [
            """
            CREATE TABLE cases (
                id BIGINT PRIMARY KEY,
                number TEXT NOT NULL UNIQUE,
                state TEXT NOT NULL,
                handling_unit TEXT,
                kind TEXT,
                category TEXT,
                level TEXT,
                channel TEXT,
                text TEXT NOT NULL DEFAULT '',
                opened_at DOUBLE PRECISION NOT NULL,
                updated_at DOUBLE PRECISION NOT NULL,
                closed_at DOUBLE PRECISION,
                earliest_due DOUBLE PRECISION,
                next_wakeup DOUBLE PRECISION,
                version BIGINT NOT NULL,
                pack_version TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE events (
                case_id BIGINT NOT NULL REFERENCES cases(id),
                seq BIGINT NOT NULL CHECK (seq >= 1),
                at DOUBLE PRECISION NOT NULL,
                occurred_at DOUBLE PRECISION NOT NULL,
                actor TEXT NOT NULL,
                type TEXT NOT NULL,
                rule_id TEXT,
                pack_version TEXT NOT NULL,
                body TEXT NOT NULL,
                PRIMARY KEY (case_id, seq)
            )
            """,
            // Case numbers per "<prefix>-<year>"; the row lock taken by the upsert serialises
            // creates of one prefix and year until commit, so numbers have no gap or repeat.
            "CREATE TABLE counters (key TEXT PRIMARY KEY, value BIGINT NOT NULL)",
            // The last case id: one row, same discipline (a failed create gives its id back); v11
            // replaces it by a sequence.
            "CREATE TABLE case_ids (one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one), last BIGINT NOT NULL)",
            "INSERT INTO case_ids (one, last) VALUES (TRUE, 0)",
        ]),
        Migration(id: "v2-query-indexes", statements: [
            "CREATE INDEX \(sweepIndex) ON cases (next_wakeup, id) WHERE closed_at IS NULL AND next_wakeup IS NOT NULL",
            "CREATE INDEX \(overdueIndex) ON cases (earliest_due) WHERE closed_at IS NULL AND earliest_due IS NOT NULL",
            "CREATE INDEX cases_state ON cases (state)",
            "CREATE INDEX cases_unit_state ON cases (handling_unit, state)",
            "CREATE INDEX cases_opened_at ON cases (opened_at)",
            "CREATE INDEX events_type_occurred_at ON events (type, occurred_at)",
            "CREATE INDEX events_pack_version_at ON events (pack_version, at)",
        ]),
        Migration(id: "v3-packs", statements: [
            """
            CREATE TABLE packs (
                version TEXT PRIMARY KEY,
                pack_id TEXT NOT NULL,
                name TEXT NOT NULL,
                root TEXT NOT NULL,
                files TEXT NOT NULL,
                saved_at DOUBLE PRECISION NOT NULL
            )
            """,
            "CREATE INDEX cases_pack_version ON cases (pack_version, closed_at)",
        ]),
        Migration(id: "v4-records", statements: [
            """
            CREATE TABLE records (
                stream TEXT COLLATE "C" NOT NULL,
                seq BIGINT NOT NULL CHECK (seq >= 1),
                at DOUBLE PRECISION NOT NULL,
                actor TEXT NOT NULL,
                type TEXT NOT NULL,
                pack_version TEXT NOT NULL,
                body TEXT NOT NULL,
                PRIMARY KEY (stream, seq)
            )
            """,
        ]),
        Migration(id: "v5-outbox", statements: [
            """
            CREATE TABLE outbox (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                case_id BIGINT NOT NULL DEFAULT 0,
                channel TEXT NOT NULL,
                notification TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
                attempts BIGINT NOT NULL DEFAULT 0,
                next_attempt_at DOUBLE PRECISION NOT NULL,
                last_error TEXT,
                delivered_at DOUBLE PRECISION
            )
            """,
            "CREATE INDEX \(outboxDueIndex) ON outbox (next_attempt_at, id) WHERE status = 'pending'",
            "CREATE INDEX outbox_status ON outbox (status, id)",
        ]),
        Migration(id: "v6-idempotency-keys", statements: [
            """
            CREATE TABLE idempotency_keys (
                key TEXT PRIMARY KEY,
                case_id BIGINT NOT NULL REFERENCES cases(id),
                fingerprint TEXT NOT NULL
            )
            """,
        ]),
        Migration(id: "v7-leases", statements: [
            """
            CREATE TABLE leases (
                name TEXT PRIMARY KEY,
                holder TEXT NOT NULL,
                until DOUBLE PRECISION NOT NULL
            )
            """,
        ]),
        // Work queues (a unit's or a person's open cases, most urgent first) and search by the
        // complainant's phone. (handling_unit, state, earliest_due) serves every query
        // cases_unit_state served, so it replaces it. The columns of older cases are filled from
        // their events first (see `backfillPhone`, `backfillAssignee`), then indexed.
        Migration(id: "v8-assignee-phone", statements: [
            "ALTER TABLE cases ADD COLUMN assignee TEXT",
            "ALTER TABLE cases ADD COLUMN phone TEXT",
            backfillPhone,
            backfillAssignee,
            "DROP INDEX cases_unit_state",
            "CREATE INDEX cases_unit_state_due ON cases (handling_unit, state, earliest_due)",
            "CREATE INDEX cases_assignee ON cases (assignee, state, earliest_due)",
            "CREATE INDEX cases_phone ON cases (phone, opened_at)",
        ]),
        // The console's queues over open cases only (as SQLite's v9): a clerk's by state everywhere,
        // a unit's by unit, without walking every closed case the unit ever handled.
        Migration(id: "v9-open-queues", statements: [
            "CREATE INDEX cases_open_state ON cases (state, earliest_due, opened_at) WHERE closed_at IS NULL",
            "CREATE INDEX cases_open_unit ON cases (handling_unit, state, earliest_due, opened_at) WHERE closed_at IS NULL",
        ]),
        // The feed (`GET /v1/events`). Writers commit concurrently, so a position handed out at insert does not
        // follow commit order; the feed orders by (tx, pos) instead — tx the writing transaction's id — and
        // only shows transactions older than every one still running (`txid_snapshot_xmin`): a later commit
        // always has a larger tx, so a reader never skips an event that commits after it read. Older events
        // keep tx 0, placed by pos. The outbox index: events are delivered in case order per channel.
        Migration(id: "v10-event-feed", statements: [
            "ALTER TABLE events ADD COLUMN tx BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE events ADD COLUMN pos BIGSERIAL",
            "ALTER TABLE events ALTER COLUMN tx SET DEFAULT txid_current()",
            "CREATE INDEX events_feed ON events (tx, pos)",
            "CREATE INDEX outbox_case_pending ON outbox (case_id, channel, id) WHERE status = 'pending'",
        ]),
        // Case ids from a sequence: `nextval` takes no lock that lasts until commit, so intakes on
        // several connections do not queue on the id (a failed create leaves an id unused; ids are
        // internal, numbers are what people see and stay gapless unless the pack allows gaps).
        Migration(id: "v11-case-id-sequence", statements: [
            "CREATE SEQUENCE case_id_seq AS BIGINT MINVALUE 1",
            """
            SELECT setval('case_id_seq', GREATEST(1, (SELECT last FROM case_ids), (SELECT COALESCE(MAX(id), 0) FROM cases)),
                          GREATEST((SELECT last FROM case_ids), (SELECT COALESCE(MAX(id), 0) FROM cases)) > 0)
            """,
            "DROP TABLE case_ids",
        ]),
        // Search by phone through a keyed hash (HMAC with the deployment's lookup key, kept outside the
        // database) instead of an index of the phones; the phones are cleared before the column goes, so
        // no live row keeps one (`VACUUM FULL cases` also rewrites the dead versions at once).
        Migration(id: "v12-phone-digest", statements: [
            "ALTER TABLE cases ADD COLUMN phone_digest TEXT",
        ], code: fillPhoneDigests, after: [
            "DROP INDEX cases_phone",
            "UPDATE cases SET phone = NULL WHERE phone IS NOT NULL",
            "ALTER TABLE cases DROP COLUMN phone",
            "CREATE INDEX \(phoneDigestIndex) ON cases (phone_digest, opened_at)",
            "CREATE TABLE lookup_key (one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one), fingerprint TEXT NOT NULL)",
        ]),
        // The read model (`ReportFact`), written with the events from now on. A database that already
        // holds events is not ready until `Engine.buildReportFacts` has folded them; reports fold meanwhile.
        Migration(id: "v13-report-facts", statements: [
            """
            CREATE TABLE report_facts (
                case_id BIGINT NOT NULL REFERENCES cases(id),
                seq BIGINT NOT NULL,
                fact TEXT NOT NULL,
                occurred_at DOUBLE PRECISION NOT NULL,
                opened_at DOUBLE PRECISION NOT NULL,
                unit TEXT,
                person TEXT,
                value TEXT,
                weight INTEGER NOT NULL,
                kind TEXT,
                category TEXT,
                channel TEXT,
                complainant_type TEXT,
                points DOUBLE PRECISION,
                rule_id TEXT,
                pack_version TEXT
            )
            """,
            "CREATE INDEX report_facts_by_time ON report_facts (fact, occurred_at) INCLUDE (unit, person, case_id, weight)",
            "CREATE INDEX report_facts_by_opening ON report_facts (fact, opened_at)",
            "CREATE INDEX report_facts_by_case ON report_facts (case_id, seq)",
            "CREATE TABLE report_facts_status (one BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one), ready BOOLEAN NOT NULL)",
            "INSERT INTO report_facts_status (one, ready) VALUES (TRUE, NOT EXISTS (SELECT 1 FROM events))",
        ]),
    ]

    /// v12: each stored phone's digest, 1,000 cases per statement.
    @Sendable static func fillPhoneDigests(_ c: PostgresConnection, _ key: LookupKey, _ logger: Logger) async throws {
        var after: Int64 = 0
        while true {
            let rows = try await c.query("""
                SELECT id, phone FROM cases WHERE phone IS NOT NULL AND id > \(after) ORDER BY id LIMIT 1000
                """, logger: logger).collect()
            guard !rows.isEmpty else { return }
            var ids: [Int64] = [], digests: [String] = []
            for row in rows {
                let (id, phone) = try row.decode((Int64, String).self)
                after = id
                if let d = key.phoneDigest(phone) { ids.append(id); digests.append(d) }
            }
            try await c.query("""
                UPDATE cases SET phone_digest = v.d FROM unnest(\(ids)::bigint[], \(digests)::text[]) AS v(id, d)
                WHERE cases.id = v.id
                """, logger: logger)
        }
    }

    /// Refuses a key other than the one the database's phone index was made with (recorded at first use).
    static func checkLookupKey(_ c: PostgresConnection, _ key: LookupKey, _ logger: Logger) async throws {
        let rows = try await c.query("SELECT fingerprint FROM lookup_key", logger: logger).collect()
        guard let row = rows.first else {
            try await c.query("INSERT INTO lookup_key (one, fingerprint) VALUES (TRUE, \(key.fingerprint))", logger: logger)
            return
        }
        let stored = try row.decode(String.self)
        guard stored == key.fingerprint else { throw LookupKeyError.mismatch(stored: stored, given: key.fingerprint) }
    }

    /// The phone of cases written before v8: the last `complainant_phone` an intake or a
    /// transition gave (a transition's empty value removes it), normalised as
    /// `PersonalData.normalisedPhone` does (keep this in step with it): full-width digits read as
    /// ASCII, every other non-digit dropped, the country code of a 13/15-digit mobile dropped.
    /// Bodies are the synthesized Codable JSON (`{"intake":{"fields":{…},…}}`), read by `json(_:)`.
    static let backfillPhone = """
        WITH raw AS (
            SELECT DISTINCT ON (case_id) case_id, (\(json("body")) -> type -> 'fields') ->> 'complainant_phone' AS phone
            FROM events
            WHERE type IN ('intake', 'transition')
                AND (\(json("body")) -> type -> 'fields') ->> 'complainant_phone' IS NOT NULL
            ORDER BY case_id, seq DESC
        ), digits AS (
            SELECT case_id, regexp_replace(translate(phone, '０１２３４５６７８９', '0123456789'), '[^0123456789]', '', 'g') AS d
            FROM raw
        )
        UPDATE cases SET phone = CASE
                WHEN d = '' THEN NULL
                WHEN length(d) = 13 AND d LIKE '861%' THEN substr(d, 3)
                WHEN length(d) = 15 AND d LIKE '00861%' THEN substr(d, 5)
                ELSE d END
        FROM digits WHERE cases.id = digits.case_id
        """

    /// A stored event body as `json`. PostgreSQL refuses `\u0000` in JSON it reads, and a
    /// complainant's text may hold one: it is read as U+FFFD instead (6 characters for 6, so the
    /// JSON stays valid even where the match begins inside an escaped backslash `\\u0000`).
    static func json(_ column: String) -> String { #"replace("# + column + #", '\u0000', '\ufffd')::json"# }

    /// The assignee of cases written before v8: the person of the last `assigned` event, unless a
    /// `routed` event moved the case to another unit afterwards (which clears the assignee, as
    /// `CaseState` folds it). The routed events from the last one before that assignment onwards
    /// move the case iff they name more than one unit, i.e. iff one differs from the final unit.
    static let backfillAssignee = """
        UPDATE cases SET assignee = a.person
        FROM (
            SELECT DISTINCT ON (case_id) case_id, seq, (\(json("body")) -> 'assigned') ->> 'person' AS person
            FROM events WHERE type = 'assigned'
            ORDER BY case_id, seq DESC
        ) a
        WHERE cases.id = a.case_id AND NOT EXISTS (
            SELECT 1 FROM events r
            WHERE r.case_id = a.case_id AND r.type = 'routed'
                AND r.seq >= COALESCE((SELECT max(p.seq) FROM events p
                                       WHERE p.case_id = a.case_id AND p.type = 'routed' AND p.seq < a.seq), a.seq)
                AND (\(json("r.body")) -> 'routed') ->> 'unit' IS DISTINCT FROM cases.handling_unit)
        """
}

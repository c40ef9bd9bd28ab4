import Foundation

/// One putting-into-force of a pack version: the rules desk's deploys and rollbacks, and the
/// folder `kesu serve` starts with or reloads. The stream is the audit of who changed the rules,
/// when and why; its latest entry is the pack every instance on the store runs.
public struct PackDeployment: Sendable, Codable, Equatable {
    public enum Source: String, Sendable, Codable {
        /// The `--rules` folder, at start or on a reload (SIGHUP, `POST /v1/rules/reload`).
        case folder
        /// A candidate from the rules desk (an uploaded zip or a folder named on the server).
        case candidate
        /// An earlier version kept in the store, put back.
        case rollback
    }
    public var version: String
    public var packName: String
    /// The version in force before (nil for the first).
    public var previous: String?
    public var source: Source
    /// The folder, the candidate's upload name or folder, or the version rolled back to.
    public var origin: String
    public var candidate: String?
    /// A person id, or `kesu serve` for the folder at start.
    public var by: String
    public var reason: String
    public var at: Date

    public init(version: String, packName: String, previous: String?, source: Source, origin: String, candidate: String? = nil,
                by: String, reason: String, at: Date) {
        self.version = version; self.packName = packName; self.previous = previous; self.source = source; self.origin = origin
        self.candidate = candidate; self.by = by; self.reason = reason; self.at = at
    }
}

/// A pack offered on the rules desk: its files as uploaded (or read from a server folder), kept
/// in the store so every instance sees it and its checks can be repeated. Nothing of it reaches a
/// case until it is deployed.
public struct PackCandidate: Sendable, Codable, Equatable {
    public enum Source: String, Sendable, Codable { case upload, serverFolder = "server_folder" }
    public var id: String
    public var source: Source
    /// The uploaded file's name, or the server folder.
    public var origin: String
    /// The folder its files are read as (the pack in force's folder for an upload, so `../calendars`
    /// resolves as it does for the pack in force; the folder itself for a server folder).
    public var root: String
    /// Text files below `root`, by path relative to it.
    public var files: [String: String]
    public var by: String
    public var at: Date
    /// Files of the upload that are not part of a pack (not text, or not a pack's kind of file).
    public var ignored: [String]

    public init(id: String, source: Source, origin: String, root: String, files: [String: String], by: String, at: Date, ignored: [String] = []) {
        self.id = id; self.source = source; self.origin = origin; self.root = root; self.files = files; self.by = by; self.at = at
        self.ignored = ignored
    }
}

/// What a candidate's pack tests gave when it was uploaded.
public struct CandidateTests: Sendable, Codable, Equatable {
    public struct Result: Sendable, Codable, Equatable {
        public var name: String
        public var file: String
        public var failures: [String]
        public var passed: Bool { failures.isEmpty }
        public init(name: String, file: String, failures: [String]) { self.name = name; self.file = file; self.failures = failures }
    }
    public var results: [Result]
    /// Test files that did not load (file:line:column: message).
    public var problems: [String]
    public var failed: Int { results.filter { !$0.passed }.count + problems.count }
    public init(results: [Result], problems: [String]) { self.results = results; self.problems = problems }
}

/// A replay of stored cases under a candidate, as the desk's background job reports it.
public struct ReplayJobRecord: Sendable, Codable {
    public enum Status: String, Sendable, Codable { case running, finished, cancelled, failed }
    public var job: String
    public var status: Status
    public var done: Int
    public var total: Int
    /// The instance running it (a job whose instance stopped can be started again).
    public var instance: String
    public var by: String
    public var startedAt: Date
    public var updatedAt: Date
    /// The pack version replayed against (the one in force when it started).
    public var against: String
    public var message: String?
    /// Once finished: how many cases come out differently, by kind and by unit (exact even when
    /// `report` keeps only the first of a long list).
    public var changed: Int?
    public var byKind: [String: Int]?
    public var byUnit: [String: Int]?
    public var report: ReplayReport?

    public init(job: String, status: Status, done: Int, total: Int, instance: String, by: String, startedAt: Date, updatedAt: Date,
                against: String, message: String? = nil, report: ReplayReport? = nil) {
        self.job = job; self.status = status; self.done = done; self.total = total; self.instance = instance; self.by = by
        self.startedAt = startedAt; self.updatedAt = updatedAt; self.against = against; self.message = message; self.report = report
    }
}

/// The rules desk's records in the store: deployments (`rules/deployments`), candidates (one
/// stream each, `rules/candidates/<id>`, listed in `rules/candidate-index`) and their replay jobs.
public struct RulesDeskRecords: Sendable {
    public static let deployments = "rules/deployments"
    public static let candidateIndex = "rules/candidate-index"
    public static func candidateStream(_ id: String) -> String { "rules/candidates/\(id)" }

    public let store: any CaseStore
    public init(store: any CaseStore) { self.store = store }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.dateEncodingStrategy = .iso8601
        return e
    }()
    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }()

    static func body<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
    static func decode<T: Decodable>(_ type: T.Type, _ r: RecordEvent) throws -> T {
        do { return try decoder.decode(type, from: Data(r.body.utf8)) } catch {
            throw StoreError.failure(operation: "read record \(r.seq) of stream \(r.stream)", detail: "\(error)")
        }
    }

    /// Appends at the stream's end, whatever it is now (entries of these streams never depend on
    /// each other, so a concurrent append is simply retried after it).
    func append(_ stream: String, type: String, actor: String, at: Date, packVersion: String, body: String) async throws {
        for _ in 0..<5 {
            let version = try await store.recordsVersion(stream: stream)
            do {
                try await store.appendRecords(stream: stream, expectedVersion: version, events: [
                    RecordEvent(at: at, actor: actor, type: type, packVersion: packVersion, body: body)], outbox: [])
                return
            } catch StoreError.recordConflict {
                continue
            }
        }
        throw StoreError.failure(operation: "append to \(stream)", detail: "five concurrent writers in a row; try again")
    }

    // MARK: Deployments

    /// Every deployment, oldest first.
    public func deployments() async throws -> [PackDeployment] {
        try await store.records(stream: Self.deployments).map { try Self.decode(PackDeployment.self, $0) }
    }

    public func latestDeployment() async throws -> PackDeployment? {
        guard let r = try await store.lastRecord(stream: Self.deployments) else { return nil }
        return try Self.decode(PackDeployment.self, r)
    }

    /// Records a deployment after keeping its pack's files, so any instance (and a later rollback)
    /// can load that very version from the store.
    public func record(_ d: PackDeployment, snapshot: PackSnapshot) async throws {
        if try await store.pack(version: snapshot.version) == nil { try await store.savePack(snapshot, at: d.at) }
        try await append(Self.deployments, type: d.source.rawValue, actor: d.by, at: d.at, packVersion: d.version, body: Self.body(d))
    }

    // MARK: Candidates

    public func add(_ c: PackCandidate, tests: CandidateTests?) async throws {
        let stream = Self.candidateStream(c.id)
        var events = [RecordEvent(at: c.at, actor: c.by, type: "candidate", packVersion: "", body: try Self.body(c))]
        if let tests { events.append(RecordEvent(at: c.at, actor: c.by, type: "tests", packVersion: "", body: try Self.body(tests))) }
        try await store.appendRecords(stream: stream, expectedVersion: 0, events: events, outbox: [])
        var header = c
        header.files = [:]
        try await append(Self.candidateIndex, type: "candidate", actor: c.by, at: c.at, packVersion: "", body: Self.body(header))
    }

    /// The candidates, newest first, without their files.
    public func candidates() async throws -> [PackCandidate] {
        try await store.records(stream: Self.candidateIndex).map { try Self.decode(PackCandidate.self, $0) }.reversed()
    }

    public struct CandidateState: Sendable {
        public var candidate: PackCandidate
        public var tests: CandidateTests?
        /// The latest state of its latest replay job.
        public var replay: ReplayJobRecord?
        public var deployments: [PackDeployment]
    }

    public func candidate(_ id: String) async throws -> CandidateState? {
        let records = try await store.records(stream: Self.candidateStream(id))
        guard let first = records.first, first.type == "candidate" else { return nil }
        var state = CandidateState(candidate: try Self.decode(PackCandidate.self, first), tests: nil, replay: nil, deployments: [])
        for r in records.dropFirst() {
            switch r.type {
            case "tests": state.tests = try Self.decode(CandidateTests.self, r)
            case "replay": state.replay = try Self.decode(ReplayJobRecord.self, r)
            case "deployed": state.deployments.append(try Self.decode(PackDeployment.self, r))
            default: break
            }
        }
        return state
    }

    /// A replay job's state: started, progress, finished, cancelled or failed (the latest wins).
    public func replay(_ candidate: String, _ job: ReplayJobRecord) async throws {
        try await append(Self.candidateStream(candidate), type: "replay", actor: job.by, at: job.updatedAt, packVersion: job.against,
                         body: Self.body(job))
    }

    /// Asks the instance running a job to stop it (its own stream: a flag any instance can set and read cheaply).
    public func requestCancel(job: String, by: String, at: Date) async throws {
        try await append("rules/replay-cancel/\(job)", type: "cancel", actor: by, at: at, packVersion: "", body: "{}")
    }

    public func cancelRequested(job: String) async throws -> Bool {
        try await store.recordsVersion(stream: "rules/replay-cancel/\(job)") > 0
    }

    public func markDeployed(_ candidate: String, _ d: PackDeployment) async throws {
        try await append(Self.candidateStream(candidate), type: "deployed", actor: d.by, at: d.at, packVersion: d.version, body: Self.body(d))
    }
}

import Foundation
import KesuKernel

/// A store that hands every call to `base`: test doubles conform and implement only the calls they
/// change (a conflict on some cases, a refused write). `appendRecordsAtEnd` is left to `CaseStore`'s
/// own default, which goes through `appendRecords`, so a double that refuses records refuses both.
public protocol ForwardingCaseStore: CaseStore {
    var base: any CaseStore { get }
}

extension ForwardingCaseStore {
    public var lookupKey: LookupKey { base.lookupKey }
    public func append(caseID: Int64, expectedVersion: Int, events: [Event], summary: CaseSummary, outbox: [OutboxEntry],
                       facts: [ReportFact]) async throws {
        try await base.append(caseID: caseID, expectedVersion: expectedVersion, events: events, summary: summary, outbox: outbox, facts: facts)
    }
    public func openCaseCounts(overdueAt: Date, dueBefore: Date) async throws -> [OpenCaseCount] {
        try await base.openCaseCounts(overdueAt: overdueAt, dueBefore: dueBefore)
    }
    public func reportFactsReady() async throws -> Bool { try await base.reportFactsReady() }
    public func markReportFactsReady() async throws { try await base.markReportFactsReady() }
    public func replaceReportFacts(through: [Int64: Int], with facts: [ReportFact]) async throws {
        try await base.replaceReportFacts(through: through, with: facts)
    }
    public func reportFactCounts(kinds: [ReportFact.Kind], from: Date, to: Date, by: ScoreSubject.Kind?,
                                 distinctCases: Bool) async throws -> [ReportFactCount] {
        try await base.reportFactCounts(kinds: kinds, from: from, to: to, by: by, distinctCases: distinctCases)
    }
    public func caseDimensionCounts(openedFrom: Date, openedBefore: Date, asOf: Date) async throws -> [CaseDimensionCount] {
        try await base.caseDimensionCounts(openedFrom: openedFrom, openedBefore: openedBefore, asOf: asOf)
    }
    public func caseFactCounts(kinds: [ReportFact.Kind], openedFrom: Date, openedBefore: Date,
                               occurredBefore: Date) async throws -> [CaseFactCount] {
        try await base.caseFactCounts(kinds: kinds, openedFrom: openedFrom, openedBefore: openedBefore, occurredBefore: occurredBefore)
    }
    public func deductionFacts(from: Date, to: Date, by: ScoreSubject.Kind) async throws -> [ReportFact] {
        try await base.deductionFacts(from: from, to: to, by: by)
    }

    public func create(numbering: CaseNumbering, year: Int, build: @Sendable (Int64, String) throws -> NewCase) async throws -> CaseSummary {
        try await base.create(numbering: numbering, year: year, build: build)
    }
    public func create(
        numbering: CaseNumbering, year: Int, idempotencyKey key: String, fingerprint: String,
        build: @Sendable (Int64, String) throws -> NewCase
    ) async throws -> (summary: CaseSummary, created: Bool) {
        try await base.create(numbering: numbering, year: year, idempotencyKey: key, fingerprint: fingerprint, build: build)
    }
    public func events(caseID: Int64) async throws -> [Event] { try await base.events(caseID: caseID) }
    public func events(caseIDs: [Int64]) async throws -> [Event] { try await base.events(caseIDs: caseIDs) }
    public func summary(caseID: Int64) async throws -> CaseSummary? { try await base.summary(caseID: caseID) }
    public func numbers(caseIDs: [Int64]) async throws -> [Int64: String] { try await base.numbers(caseIDs: caseIDs) }
    public func caseID(number: String) async throws -> Int64? { try await base.caseID(number: number) }
    public func list(_ query: CaseQuery) async throws -> [CaseSummary] { try await base.list(query) }
    public func count(_ query: CaseQuery) async throws -> Int { try await base.count(query) }
    public func dueForSweep(at now: Date, limit: Int) async throws -> [Int64] { try await base.dueForSweep(at: now, limit: limit) }
    public func events(types: Set<String>, occurredFrom from: Date, to: Date) async throws -> [Event] {
        try await base.events(types: types, occurredFrom: from, to: to)
    }
    public func caseIDs(eventTypes types: Set<String>, occurredFrom from: Date, to: Date) async throws -> [Int64] {
        try await base.caseIDs(eventTypes: types, occurredFrom: from, to: to)
    }
    public func packVersions() async throws -> [PackVersionUse] { try await base.packVersions() }
    public func savePack(_ snapshot: PackSnapshot, at: Date) async throws { try await base.savePack(snapshot, at: at) }
    public func pack(version: String) async throws -> PackSnapshot? { try await base.pack(version: version) }
    public func appendRecords(stream: String, expectedVersion: Int, events: [RecordEvent], outbox: [OutboxEntry]) async throws {
        try await base.appendRecords(stream: stream, expectedVersion: expectedVersion, events: events, outbox: outbox)
    }
    public func records(stream: String) async throws -> [RecordEvent] { try await base.records(stream: stream) }
    public func recordsVersion(stream: String) async throws -> Int { try await base.recordsVersion(stream: stream) }
    public func lastRecord(stream: String) async throws -> RecordEvent? { try await base.lastRecord(stream: stream) }
    public func records(streamPrefix: String) async throws -> [RecordEvent] { try await base.records(streamPrefix: streamPrefix) }
    public func enqueueNotifications(_ entries: [OutboxEntry]) async throws -> [Int64] { try await base.enqueueNotifications(entries) }
    public func dueOutbox(at now: Date, limit: Int) async throws -> [OutboxItem] { try await base.dueOutbox(at: now, limit: limit) }
    public func markDelivered(id: Int64, at: Date) async throws { try await base.markDelivered(id: id, at: at) }
    public func markFailed(id: Int64, error: String, nextAttemptAt: Date, giveUp: Bool) async throws {
        try await base.markFailed(id: id, error: error, nextAttemptAt: nextAttemptAt, giveUp: giveUp)
    }
    public func outbox(status: OutboxItem.Status?, limit: Int) async throws -> [OutboxItem] { try await base.outbox(status: status, limit: limit) }
    public func retryOutbox(ids: [Int64]?, at: Date) async throws -> Int { try await base.retryOutbox(ids: ids, at: at) }
    public func outboxCounts() async throws -> [OutboxItem.Status: Int] { try await base.outboxCounts() }
    public func eventFeed(after cursor: String?, limit: Int) async throws -> EventFeedPage { try await base.eventFeed(after: cursor, limit: limit) }
    public func acquireLease(_ name: String, holder: String, until: Date, now: Date) async throws -> Bool {
        try await base.acquireLease(name, holder: holder, until: until, now: now)
    }
}

import Foundation

/// One item a source brings in: its own id in its system, the case's fields, and files.
public struct SourceItem: Sendable, Equatable {
    public struct File: Sendable, Equatable {
        public var fileName: String
        public var mediaType: String
        public var content: Data
        public init(fileName: String, mediaType: String, content: Data) {
            self.fileName = fileName; self.mediaType = mediaType; self.content = content
        }
    }
    public var id: String
    public var fields: [String: String]
    public var attachments: [File]
    public init(id: String, fields: [String: String], attachments: [File] = []) {
        self.id = id; self.fields = fields; self.attachments = attachments
    }
}

/// What became of an item, told back to its source so it can mark it done or keep it aside.
public struct SourceAck: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// Registered as `case` (`created` false: an earlier poll had registered it already).
        case registered(case: String, created: Bool)
        /// Kesu refused it; the source keeps it aside (quarantine) with this reason.
        case refused(String)
    }
    public var id: String
    public var outcome: Outcome
    public init(id: String, outcome: Outcome) { self.id = id; self.outcome = outcome }
}

/// Brings cases in from elsewhere (a mailbox, a provincial platform): a source plugin, docs/integrations.md.
public protocol CaseSource: Sendable {
    /// New items, at most `limit`. An item stays the source's until `ack` says what became of it: a poll after a
    /// crash returns it again, and its idempotency key makes that harmless.
    func poll(limit: Int) async throws -> [SourceItem]
    func ack(_ acks: [SourceAck]) async throws
    var about: DriverInfo { get }
    func checkHealth(timeout: Duration) async throws -> String?
}

/// What one poll of a source did.
public struct SourcePollReport: Sendable, Equatable {
    public var source: String
    public var at: Date
    public var polled = 0
    /// Cases made now, and items an earlier poll had already made a case of.
    public var created: [String] = []
    public var existing: [String] = []
    /// Items refused, with why (the source keeps them aside).
    public var refused: [(id: String, reason: String)] = []
    /// Why the poll or the ack failed; nil when both worked.
    public var error: String?

    public init(source: String, at: Date) { self.source = source; self.at = at }

    public static func == (a: Self, b: Self) -> Bool {
        a.source == b.source && a.at == b.at && a.polled == b.polled && a.created == b.created && a.existing == b.existing
            && a.refused.map(\.id) == b.refused.map(\.id) && a.refused.map(\.reason) == b.refused.map(\.reason) && a.error == b.error
    }
}

/// Registers what a source brings through the same intake as the API: each item with the idempotency key
/// `source:<name>:<item id>`, so an item polled twice (a crash before `ack`) is one case.
public struct SourceIntake: Sendable {
    public var name: String
    public var source: any CaseSource
    /// The person who registers the items (the pack's intake roles apply to them).
    public var actor: String
    /// Fields every item gets unless it gives its own (`channel`, `kind`, …).
    public var defaults: [String: String]
    public var limit: Int

    public static let maxItemID = 200
    /// Refusals that say nothing about the item: the configured actor is unknown or may not register, a race.
    static let notTheItems: Set<KesuError.Code> = [.unknownUser, .forbidden, .conflict, .rulesUnavailable]

    public init(name: String, source: any CaseSource, actor: String, defaults: [String: String] = [:], limit: Int = 50) {
        self.name = name; self.source = source; self.actor = actor; self.defaults = defaults; self.limit = limit
    }

    public func idempotencyKey(_ item: SourceItem) -> String { "source:\(name):\(item.id)" }

    /// Polls once, registers every item, attaches its files, and acks. Never throws: a failure is in the report.
    public func run(engine: Engine, at now: Date) async -> SourcePollReport {
        var report = SourcePollReport(source: name, at: now)
        let items: [SourceItem]
        do { items = try await source.poll(limit: limit) } catch {
            report.error = "poll failed: \(Engine.describe(error))"
            return report
        }
        report.polled = items.count
        var acks: [SourceAck] = []
        for item in items {
            if item.id.isEmpty || item.id.count > Self.maxItemID {
                let reason = "the item's id must be 1 to \(Self.maxItemID) characters (got \(item.id.count))"
                report.refused.append((item.id, reason))
                acks.append(SourceAck(id: item.id, outcome: .refused(reason)))
                continue
            }
            var fields = defaults
            for (k, v) in item.fields where !v.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { fields[k] = v }
            do {
                let result = try await engine.intake(fields: fields, by: actor, at: now, idempotencyKey: idempotencyKey(item))
                var state = result.state
                for file in item.attachments where !state.attachments.contains(where: { $0.sha256 == SHA256.hex(file.content) }) {
                    do {
                        state = try await engine.attach(number: state.number, fileName: file.fileName, mediaType: file.mediaType,
                                                        content: file.content, by: actor, at: now)
                    } catch let e as KesuError where e.code != .conflict {
                        // A file Kesu does not accept (type, size) does not undo the case; the reason is kept.
                        report.refused.append(("\(item.id) \(file.fileName)", "attachment not kept: \(e.message)"))
                    }
                }
                if result.replayed { report.existing.append(state.number) } else { report.created.append(state.number) }
                acks.append(SourceAck(id: item.id, outcome: .registered(case: state.number, created: !result.replayed)))
            } catch let e as KesuError where e.code == .idempotencyMismatch && e.value != nil {
                // Registered by an earlier poll under other fields (the source's `fields:` changed since): the
                // item has its case; the source may mark it done.
                report.existing.append(e.value!)
                acks.append(SourceAck(id: item.id, outcome: .registered(case: e.value!, created: false)))
            } catch let e as KesuError where !Self.notTheItems.contains(e.code) {
                report.refused.append((item.id, e.message))
                acks.append(SourceAck(id: item.id, outcome: .refused(e.message)))
            } catch {
                // The store failed, or the deployment is wrong (the actor): not the item's fault. No ack; the next
                // poll brings it again.
                report.error = "registering item \(item.id) failed: \(Engine.describe(error))"
            }
        }
        if !acks.isEmpty {
            do { try await source.ack(acks) } catch {
                let message = "ack failed (the items come again with the next poll and find their cases): \(Engine.describe(error))"
                report.error = report.error.map { $0 + "; " + message } ?? message
            }
        }
        return report
    }
}

/// Each source's polls as the administrator reads them (`kesu sources list`, `kesu plugins list`): the record
/// stream `source:<name>` holds a poll that registered, refused or failed, and a poll that worked again after a
/// failure; quiet polls that change nothing are not written, so the stream grows with the work, not the clock.
public enum SourceRunLog {
    public static func stream(_ name: String) -> String { "source:\(name)" }

    struct Entry: Codable, Equatable {
        var polled: Int
        var created: [String]
        var existing: [String]
        var refused: [String]
        var error: String?
    }

    /// Appends the poll when it says something new. A lost race with another instance's append is dropped:
    /// the log is what happened, and that instance wrote its own poll.
    public static func record(_ report: SourcePollReport, in store: any CaseStore) async throws {
        let stream = stream(report.source)
        let last = try await store.lastRecord(stream: stream)
        let wasFailing = last?.type == "failed"
        let interesting = !report.created.isEmpty || !report.refused.isEmpty || report.error != nil || wasFailing
        guard interesting else { return }
        if let last, last.type == "failed", report.error != nil,
           let e = try? JSONDecoder().decode(Entry.self, from: Data(last.body.utf8)), e.error == report.error,
           report.created.isEmpty, report.refused.isEmpty { return }  // the same failure again
        let entry = Entry(polled: report.polled, created: report.created, existing: report.existing,
                          refused: report.refused.map { "\($0.id): \($0.reason)" }, error: report.error)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = String(decoding: try encoder.encode(entry), as: UTF8.self)
        let event = RecordEvent(at: report.at, actor: Event.systemActor, type: report.error == nil ? "polled" : "failed",
                                packVersion: "", body: body)
        do { try await store.appendRecords(stream: stream, expectedVersion: last?.seq ?? 0, events: [event]) }
        catch StoreError.recordConflict {}
    }

    /// The last poll written: when, whether it failed and why.
    public static func last(_ name: String, in store: any CaseStore) async throws -> (at: Date, error: String?, created: Int)? {
        guard let r = try await store.lastRecord(stream: stream(name)) else { return nil }
        let e = try? JSONDecoder().decode(Entry.self, from: Data(r.body.utf8))
        return (r.at, e?.error, e?.created.count ?? 0)
    }
}

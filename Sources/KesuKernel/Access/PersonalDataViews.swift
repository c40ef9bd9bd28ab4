import Foundation

/// One showing of a case's personal fields unmasked (个人信息查看记录): who saw which case's
/// complainant data, when, and through what.
public struct PersonalDataView: Sendable, Codable, Equatable {
    public enum Channel: String, Sendable, Codable, CaseIterable {
        case console, api, cli
    }
    /// A person id from the pack.
    public var person: String
    public var caseNumber: String
    public var at: Date
    public var channel: Channel

    public init(person: String, caseNumber: String, at: Date, channel: Channel) {
        self.person = person; self.caseNumber = caseNumber; self.at = at; self.channel = channel
    }
}

/// The record of personal-data views, kept in the store as append-only record streams
/// `pd-views/<yyyy-MM-dd UTC>/<person>`: one stream per person per day, so readers opening cases
/// at once never contend on one stream, and a period is read day by day. Front ends record a
/// view before the unmasked data leaves: if the record cannot be written, the data is not shown.
public struct PersonalDataViews: Sendable {
    public static let streamPrefix = "pd-views/"
    /// A query reads at most this many days (a year and a day).
    public static let maxDays = 367

    let store: any CaseStore

    public init(store: any CaseStore) { self.store = store }

    struct Body: Codable { var `case`: String; var channel: PersonalDataView.Channel }

    static func day(_ d: Date) -> String {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        let x = c.dateComponents([.year, .month, .day], from: d)
        return String(format: "%04d-%02d-%02d", x.year!, x.month!, x.day!)
    }

    public static func stream(person: String, at: Date) -> String { streamPrefix + day(at) + "/" + person }

    /// Records that `viewer` is being shown `state` unmasked, when that is so: a viewer with
    /// `personal_data` and a case with some personal value. Front ends call it before the data leaves.
    public func recordShown(_ state: CaseState, to viewer: Principal, pack: RulePack, at: Date, via channel: PersonalDataView.Channel) async throws {
        guard viewer.has(.personalData) else { return }
        let personal = PersonalData.personalFields(in: pack)
        guard state.fields.contains(where: { personal.contains($0.key) && !$0.value.isEmpty }) else { return }
        try await record(PersonalDataView(person: viewer.id, caseNumber: state.number, at: at, channel: channel))
    }

    /// Appends the view; throws when the store cannot take it (the caller then shows nothing).
    public func record(_ view: PersonalDataView) async throws {
        try await record([view])
    }

    /// Appends several views (a register listing many cases at once), one append per person and day.
    public func record(_ views: [PersonalDataView]) async throws {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var streams: [String] = []
        var byStream: [String: [RecordEvent]] = [:]
        for view in views {
            let stream = Self.stream(person: view.person, at: view.at)
            if byStream[stream] == nil { streams.append(stream) }
            let body = String(decoding: try e.encode(Body(case: view.caseNumber, channel: view.channel)), as: UTF8.self)
            byStream[stream, default: []].append(RecordEvent(at: view.at, actor: view.person, type: "viewed", packVersion: "", body: body))
        }
        for stream in streams {
            try await append(byStream[stream]!, to: stream)
        }
    }

    func append(_ events: [RecordEvent], to stream: String) async throws {
        // The same person's other requests of the same day share the stream (an integration's account
        // registers many cases at once): append at the end, never a conflict.
        try await store.appendRecordsAtEnd(stream: stream, events: events)
    }

    /// The views from `from` up to `to` (inclusive), optionally of one person or one case, newest first.
    public func list(from: Date, to: Date, person: String? = nil, caseNumber: String? = nil) async throws -> [PersonalDataView] {
        guard from <= to else { return [] }
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        var dayStart = c.startOfDay(for: from)
        var out: [PersonalDataView] = []
        let d = JSONDecoder()
        var days = 0
        while dayStart <= to {
            days += 1
            guard days <= Self.maxDays else {
                throw KesuError(.invalidInput, "查询时段最长 \(Self.maxDays - 1) 天，请缩短时段")
            }
            let day = Self.day(dayStart)
            let records = if let person {
                try await store.records(stream: Self.streamPrefix + day + "/" + person)
            } else {
                try await store.records(streamPrefix: Self.streamPrefix + day + "/")
            }
            for r in records where r.type == "viewed" && r.at >= from && r.at <= to {
                guard let b = try? d.decode(Body.self, from: Data(r.body.utf8)) else { continue }
                if let caseNumber, b.case != caseNumber { continue }
                out.append(PersonalDataView(person: r.actor, caseNumber: b.case, at: r.at, channel: b.channel))
            }
            dayStart = c.date(byAdding: .day, value: 1, to: dayStart)!
        }
        return out.sorted { $0.at != $1.at ? $0.at > $1.at : ($0.person, $0.caseNumber) < ($1.person, $1.caseNumber) }
    }
}

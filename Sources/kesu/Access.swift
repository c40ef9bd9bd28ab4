import ArgumentParser
import Foundation
import KesuKernel

/// `kesu access views`: the record of personal-data views (个人信息查看记录), as the console's
/// 账号与权限 page shows it.
struct AccessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "access", abstract: "Read the record of who was shown complainants' personal data unmasked.",
        subcommands: [Views.self])

    /// A case printed for a person (--as) with personal_data is recorded as the console and the API
    /// record it, before it is printed. The operator (no --as) reads the store directly: no record.
    static func recordShown(_ engine: Engine, _ state: CaseState, to viewer: Principal?, at now: Date) async throws {
        guard let viewer else { return }
        try await PersonalDataViews(store: engine.store).recordShown(state, to: viewer, pack: engine.pack, at: now, via: .cli)
    }

    struct Views: KesuCommand {
        static let configuration = CommandConfiguration(
            abstract: "List personal-data views (console, API, `show --as`), newest first.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "First day (YYYY-MM-DD in the pack's zone, or an ISO-8601 time); default: 7 days before --to.") var from: String?
        @Option(help: "Last day, included (YYYY-MM-DD, or an ISO-8601 time); default: today.") var to: String?
        @Option(help: "Only this person's views (a person id).") var person: String?
        @Option(name: .customLong("case"), help: "Only views of this case number.") var caseNumber: String?

        func run() async throws {
            try await guarded(global) {
                let engine = try global.engine()
                let now = try global.currentTime()
                let calendar = engine.planner.calendar
                var c = Calendar(identifier: .gregorian)
                c.timeZone = calendar.timeZone
                func day(_ text: String, _ name: String) throws -> (Date, Bool) {
                    if let d = LocalDate(text) { return (calendar.instant(d, minute: 0), true) }
                    if let d = ISO8601.parse(text) { return (d, false) }
                    throw KesuError(.invalidInput, "--\(name) '\(text)' is not a date: write YYYY-MM-DD (e.g. 2026-07-01) or an ISO-8601 time")
                }
                var end = now
                if let to {
                    let (d, whole) = try day(to, "to")
                    // A day given as a date is included whole.
                    end = whole ? c.date(byAdding: .day, value: 1, to: d)!.addingTimeInterval(-0.001) : d
                }
                let start = try from.map { try day($0, "from").0 } ?? c.date(byAdding: .day, value: -7, to: end)!
                if let person, engine.pack.person(person) == nil {
                    throw KesuError(.unknownUser, "no person '\(person)' in the pack\(Suggest.hint(for: person, in: engine.pack.people.map(\.id)))")
                }
                let views = try await PersonalDataViews(store: engine.store).list(from: start, to: end, person: person, caseNumber: caseNumber)
                let r = CaseRenderer(engine: engine)
                if global.json {
                    Output.json(["views": .array(views.map { v in
                        .object(["at": r.timeJSON(v.at), "person": .string(v.person), "name": .opt(engine.pack.person(v.person)?.name),
                                 "case": .string(v.caseNumber), "channel": .string(v.channel.rawValue)])
                    })])
                } else {
                    for v in views {
                        print("\(r.time(v.at))  \(v.person)  \(engine.pack.person(v.person)?.name ?? "-")  \(v.caseNumber)  \(v.channel.rawValue)")
                    }
                    print("\(views.count) view(s) from \(r.time(start)) to \(r.time(end))")
                }
            }
        }
    }
}

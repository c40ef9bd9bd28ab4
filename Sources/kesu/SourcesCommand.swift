import ArgumentParser
import Foundation
import KesuKernel
import KesuServer

/// `kesu sources`: the deployment's sources of cases (kesu.yaml's `sources:`), their health and last poll, and a
/// poll now (what `kesu serve` does on its schedule).
struct SourcesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sources", abstract: "Sources of cases (kesu.yaml's sources:): list them with health and last poll, or poll now.",
        discussion: "A source is a plugin that brings cases in (docs/integrations.md); `kesu serve` polls each on its schedule.",
        subcommands: [SourcesList.self, SourcesPoll.self])
}

/// What `kesu sources list` and `kesu plugins list` say of a source's last poll.
func lastPollText(_ last: (at: Date, error: String?, created: Int)?, zone: TimeZone) -> String {
    guard let last else { return "never polled" }
    let when = ISO8601.format(last.at, in: zone)
    if let error = last.error { return "last poll \(when) failed: \(error)" }
    return "last poll \(when): \(last.created) registered"
}

struct SourcesList: KesuCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The configured sources with health and their last poll.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let parts = try global.deploymentParts()
        let engine = try parts.engine(try global.loadPack())
        let zone = engine.planner.calendar.timeZone
        var rows: [JSON] = []
        for s in parts.sources {
            var health = "ok"
            do { _ = try await s.intake.source.checkHealth(timeout: .seconds(10)) } catch { health = "failing: \(Engine.describe(error))" }
            let last = try await SourceRunLog.last(s.intake.name, in: engine.store)
            let seconds = s.every.components.seconds
            rows.append(.object([
                "name": .string(s.intake.name), "plugin": .string(s.intake.source.about.target ?? s.intake.source.about.kind),
                "every_seconds": .number(Double(seconds)), "actor": .string(s.intake.actor), "health": .string(health),
                "last_poll": last.map { .string(ISO8601.format($0.at, in: zone)) } ?? .null,
                "last_error": last?.error.map(JSON.string) ?? .null,
            ]))
            if !global.json {
                print([s.intake.name, s.intake.source.about.target ?? "-", "every \(seconds) s", "as \(s.intake.actor)", health,
                       lastPollText(last, zone: zone)].joined(separator: "\t"))
            }
        }
        if global.json { Output.json(["sources": .array(rows)]) }
        else if parts.sources.isEmpty { print("no sources in the deployment file (kesu.yaml's sources:, docs/integrations.md)") }
    }
}

struct SourcesPoll: KesuCommand {
    static let configuration = CommandConfiguration(
        commandName: "poll", abstract: "Poll the sources once now and register what they bring (each item once, whatever polled it before).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Only this source (default: every source).") var name: String?

    func run() async throws {
        let parts = try global.deploymentParts()
        let engine = try parts.engine(try global.loadPack())
        let names = parts.sources.map(\.intake.name)
        if let name, !names.contains(name) {
            throw ValidationError("no source '\(name)' in the deployment file" + Suggest.hint(for: name, in: names)
                + (names.isEmpty ? "; it has no sources" : "; sources: \(names.joined(separator: ", "))"))
        }
        let now = try global.currentTime()
        var rows: [JSON] = []
        var failed = false
        for s in parts.sources where name == nil || s.intake.name == name {
            let report = await s.intake.run(engine: engine, at: now)
            try await SourceRunLog.record(report, in: engine.store)
            failed = failed || report.error != nil
            rows.append(.object([
                "source": .string(report.source), "polled": .number(Double(report.polled)),
                "created": .array(report.created.map(JSON.string)), "existing": .array(report.existing.map(JSON.string)),
                "refused": .array(report.refused.map { .object(["id": .string($0.id), "reason": .string($0.reason)]) }),
                "error": report.error.map(JSON.string) ?? .null,
            ]))
            if !global.json {
                print("\(report.source): \(report.polled) polled, \(report.created.count) registered \(report.created.joined(separator: " ")), "
                      + "\(report.existing.count) already registered, \(report.refused.count) refused")
                for r in report.refused { print("  refused \(r.id): \(r.reason)") }
                if let e = report.error { print("  error: \(e)") }
            }
        }
        _ = try? await engine.deliverOutbox(at: now, limit: 100)
        if global.json { Output.json(["polls": .array(rows)]) }
        if failed { throw ExitCode(1) }
    }
}

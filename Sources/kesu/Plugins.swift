import ArgumentParser
import Foundation
import KesuKernel
import KesuPlugins

/// `kesu plugins`: the exec plugins installed under plugins/, and their conformance kit.
struct Plugins: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Exec plugins: list the installed ones, run the conformance kit on one.",
        discussion: "A plugin is a folder with a plugin.yaml and a program speaking JSON-RPC 2.0 over stdin/stdout (docs/plugins.md).",
        subcommands: [PluginsList.self, PluginsCheck.self])
}

/// `key=value` → options; the value is read as JSON when it is JSON (numbers, true, lists), else as text.
func pluginOptions(_ pairs: [String]) throws -> [String: JSONValue] {
    var out: [String: JSONValue] = [:]
    for p in pairs {
        guard let eq = p.firstIndex(of: "="), eq != p.startIndex else {
            throw ValidationError("--option '\(p)' should look like key=value, e.g. --option url=http://127.0.0.1:8080/")
        }
        let value = String(p[p.index(after: eq)...])
        out[String(p[..<eq])] = (try? JSONValue.parse(Data(value.utf8))) ?? .string(value)
    }
    return out
}

struct PluginsList: KesuCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Installed plugins (folders with a plugin.yaml) with id, kind, version and health.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "The plugins folder.") var dir: String = "plugins"

    /// For each plugin folder a configured source runs: the source's name and its last poll (kesu.yaml's `sources:`).
    func sourcePolls() async -> [String: [(name: String, text: String, error: String?)]] {
        let config = global.deploymentOrDefaults
        guard !config.sources.isEmpty, let parts = try? global.deploymentParts(), let loaded = try? global.loadPack(),
              let engine = try? parts.engine(loaded) else { return [:] }
        var out: [String: [(name: String, text: String, error: String?)]] = [:]
        for s in config.sources {
            guard let folder = s.driver.path("plugin") else { continue }
            let last = try? await SourceRunLog.last(s.name, in: engine.store)
            let key = URL(fileURLWithPath: folder).standardizedFileURL.path
            out[key, default: []].append((s.name, lastPollText(last, zone: engine.planner.calendar.timeZone), last?.error))
        }
        return out
    }

    func run() async throws {
        let folders = PluginManifestLoader.folders(under: dir)
        let polls = await sourcePolls()
        var rows: [JSON] = []
        var lines: [String] = []
        for folder in folders {
            let name = (folder as NSString).lastPathComponent
            do {
                let m = try PluginManifestLoader.load(directory: folder)
                let plugin = ExecPlugin(manifest: m, backoff: .init(initial: .zero, max: .zero))
                var health = "ok"
                do { try plugin.start(); try plugin.health() } catch let e as ExecPluginError {
                    health = "failing: \(e.message)"
                }
                plugin.shutdown()
                let kinds = m.kinds.map(\.rawValue).joined(separator: ",")
                let sources = polls[URL(fileURLWithPath: folder).standardizedFileURL.path] ?? []
                rows.append(.object(["folder": .string(name), "path": .string(folder), "id": .string(m.id), "kind": .string(kinds),
                                     "version": .string(m.version), "health": .string(health),
                                     "sources": .array(sources.map { .object(["name": .string($0.name), "last_poll": .string($0.text),
                                                                              "last_error": $0.error.map(JSON.string) ?? .null]) })]))
                lines.append(([m.id, kinds, m.version, folder, health] + sources.map { "source '\($0.name)': \($0.text)" })
                    .joined(separator: "\t"))
            } catch {
                rows.append(.object(["folder": .string(name), "path": .string(folder), "error": .string("\(error)")]))
                lines.append("\(name)\t-\t-\t\(folder)\tmanifest refused: \(String(describing: error).split(separator: "\n").first ?? "")")
            }
        }
        if global.json { Output.json(["plugins": .array(rows)]); return }
        if folders.isEmpty { print("no plugins under \(dir)/ (a plugin is a folder with a plugin.yaml)"); return }
        print(["id", "kind", "version", "folder", "health"].joined(separator: "\t"))
        lines.forEach { print($0) }
    }
}

struct PluginsCheck: KesuCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Runs the conformance kit on a plugin: one PASS/FAIL line per check, exit 1 on any failure.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The plugin folder, e.g. plugins/template.") var path: String
    @Option(name: .customLong("option"), help: "Override an option of the manifest: key=value (repeatable).")
    var options: [String] = []

    func validate() throws {
        try global.validateValues()
        _ = try pluginOptions(options)
    }

    func run() async throws {
        let checks = PluginConformance.run(directory: path, options: try pluginOptions(options))
        if global.json {
            Output.json(["plugin": .string(path), "passed": .bool(checks.allSatisfy(\.passed)),
                         "checks": .array(checks.map { .object(["name": .string($0.name), "passed": .bool($0.passed), "detail": .string($0.detail)]) })])
        } else {
            for c in checks { print(c.description) }
            let failed = checks.filter { !$0.passed }.count
            print(failed == 0 ? "\(checks.count) checks passed" : "\(failed) of \(checks.count) checks failed")
        }
        if !checks.allSatisfy(\.passed) { throw ExitCode(1) }
    }
}

import ArgumentParser
import Foundation
import KesuKernel
import KesuRendering
import KesuNotifiers
import KesuPlugins
import KesuPostgres
import KesuSQLite
import KesuServer
import KesuYAML
import Logging

// MARK: Built-in drivers

/// Every driver this program knows, registered in one place. A deployment file names them
/// (`storage: {driver: sqlite}`, `notifiers: [{name: ops, driver: webhook, …}]`, `scoring: {driver: points}`).
func builtInRegistries() -> DriverRegistries {
    var r = DriverRegistries()

    // Storage
    let keyOptions = [
        DriverOption("lookup_key_file", help: "file holding the key the phone index is made with (made at first use when missing)"),
        DriverOption("lookup_key_env", help: "environment variable holding that key instead (at least 16 bytes)"),
    ]
    r.store.register("sqlite", options: [DriverOption("path", help: "database file (default kesu.db beside kesu.yaml)")] + keyOptions,
                     summary: "SQLite database file (WAL)") { c in
        let path = c.path("path") ?? DriverConfig.resolve("kesu.db", against: c.baseDirectory)
        return try SQLiteStore(path: path, lookupKey: try lookupKey(c, defaultFile: SQLiteStore.defaultKeyFile(for: path)))
    }
    r.store.register(
        "postgres",
        options: [
            .required("url", help: "postgres://user:password@host:5432/database[?sslmode=require&search_path=schema]"),
            DriverOption("pool_size", .integer, help: "most connections this process opens (default 20)"),
        ] + keyOptions,
        summary: "PostgreSQL database; several instances (kesu serve) may share it"
    ) { c in
        let url = try postgresURL(c)
        // Connection troubles surface as the failing command's error; the client's own chatter stays quiet.
        var logger = Logger(label: "kesu.postgres")
        logger.logLevel = .error
        let key = try lookupKey(c, defaultFile: DriverConfig.resolve("kesu.lookup-key", against: c.baseDirectory))
        return try PostgresCaseStore(url: url, lookupKey: key, poolSize: c.int("pool_size"), logger: logger)
    }
    r.store.register("memory", summary: "in-memory store; forgotten when the command ends (trials, tests)") { _ in
        MemoryStore()
    }

    // Notification channels
    r.notifier.register("console", summary: "one line per notification on stderr") { _ in ConsoleNotifier() }
    r.notifier.register("outbox-file", options: [.required("path", help: "JSON-lines file, appended and fsync'd")],
                        summary: "appends each notification as a JSON line") { c in
        OutboxFileNotifier(path: c.path("path")!)
    }
    r.notifier.register(
        "webhook",
        options: [
            .required("url", help: "http(s) URL the notification is POSTed to as JSON"),
            DriverOption("timeout_ms", .integer, help: "per-try timeout in milliseconds (default 5000)"),
            DriverOption("retries", .integer, help: "tries after the first before giving up (default 3)"),
            DriverOption("backoff_ms", .integer, help: "wait before the first retry, doubled each time (default 500)"),
            DriverOption("headers", .map, help: "extra HTTP headers"),
            DriverOption("secret_env", help: "environment variable holding the signing secret (Kesu-Signature, docs/integrations.md)"),
            DriverOption("secret_file", help: "file holding the signing secret (trailing newline dropped)"),
        ],
        summary: "HTTP POST of the notification as JSON, with retries"
    ) { c in
        let text = c.string("url")!
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
            throw ConfigurationError([.error(c.valueLocation("url"), "'url' of \(c.what) is not an http(s) URL: '\(text)'")])
        }
        var headers: [String: String] = [:]
        if case let .map(m)? = c["headers"] { for (k, v) in m { headers[k] = v.text ?? v.description } }
        return WebhookNotifier(url: url, timeout: .milliseconds(c.int("timeout_ms") ?? 5000), retries: c.int("retries") ?? 3,
                               backoff: .milliseconds(c.int("backoff_ms") ?? 500), headers: headers, secret: try webhookSecret(c))
    }

    // Scoring
    r.scorer.register("points", summary: "the pack's own scoring rules") { _ in PointsScorer() }

    // Out-of-process plugins (docs/plugins.md): any language, JSON-RPC over stdio, isolated.
    let execOptions = [
        DriverOption.required("plugin", help: "the plugin's folder (holding plugin.yaml), relative to kesu.yaml"),
        DriverOption("options", .map, help: "options for the plugin, over those in its manifest"),
    ]
    r.notifier.register("exec", options: execOptions, summary: "an out-of-process notifier plugin (plugins/…)") { c in
        try execPlugin(c) { dir, options in try ExecNotifier(directory: dir, options: options, log: { Output.err($0) }) }
    }
    r.scorer.register("exec", options: execOptions, summary: "an out-of-process scoring plugin (plugins/…)") { c in
        try execPlugin(c) { dir, options in try ExecScorer(directory: dir, options: options, log: { Output.err($0) }) }
    }
    r.source.register("exec", options: execOptions, summary: "an out-of-process source plugin that brings cases in (docs/integrations.md)") { c in
        try execPlugin(c) { dir, options in try ExecSource(directory: dir, options: options, log: { Output.err($0) }) }
    }
    return r
}

/// A webhook's signing secret, from the deployment (never the database): `secret_env` names an environment
/// variable, `secret_file` a file. Either one missing or empty is a configuration error at its value.
func webhookSecret(_ c: DriverConfig) throws -> [UInt8]? {
    if let value = try secretFromEnvironment(c, env: "secret_env", file: "secret_file", purpose: "that \(c.what) signs with") {
        return value
    }
    if let path = c.path("secret_file") {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else {
            throw ConfigurationError([.error(c.valueLocation("secret_file"), "cannot read the signing secret of \(c.what) from '\(path)' (missing or empty)")])
        }
        var text = String(decoding: data, as: UTF8.self)
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        return Array(text.utf8)
    }
    return nil
}

/// A secret an entry takes from the environment variable its `env` option names; nil when the entry
/// has no `env` option. Both options given, or the variable unset or empty, is a configuration error.
func secretFromEnvironment(_ c: DriverConfig, env: String, file: String, purpose: String) throws -> [UInt8]? {
    if c.string(env) != nil, c.string(file) != nil {
        throw ConfigurationError([.error(c.keyLocation(file), "give \(c.what) '\(env)' or '\(file)', not both")])
    }
    guard let name = c.string(env) else { return nil }
    guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
        throw ConfigurationError([.error(c.valueLocation(env),
                                         "the environment variable '\(name)' \(purpose) is not set (or empty); set it before starting kesu")])
    }
    return Array(value.utf8)
}

/// The key a store's phone index is made with (docs/configuration.md, "The lookup key"): the
/// entry's `lookup_key_env` or `lookup_key_file`, else the file `KESU_LOOKUP_KEY_FILE` names, else
/// `defaultFile`; a key file that does not exist yet is made with a random key.
func lookupKey(_ c: DriverConfig, defaultFile: String) throws -> LookupKey {
    if let value = try secretFromEnvironment(c, env: "lookup_key_env", file: "lookup_key_file", purpose: "that holds the lookup key of \(c.what)") {
        do { return try LookupKey(bytes: value) } catch {
            throw ConfigurationError([.error(c.valueLocation("lookup_key_env"), "'\(c.string("lookup_key_env")!)': \(error)")])
        }
    }
    let file = c.path("lookup_key_file") ?? ProcessInfo.processInfo.environment["KESU_LOOKUP_KEY_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultFile
    do { return try LookupKey.file(file, create: true) } catch {
        throw ConfigurationError([.error(c.valueLocation("lookup_key_file"), "\(error)")])
    }
}

/// The `url` of a postgres storage entry, checked (not connected to): a bad URL is a configuration
/// error at its value.
func postgresURL(_ c: DriverConfig) throws -> String {
    let text = c.string("url")!
    do { _ = try PostgresURL(text) } catch let e as PostgresURLError {
        throw ConfigurationError([.error(c.valueLocation("url"), "'url' of \(c.what): \(e)")])
    }
    if let n = c.int("pool_size"), n < 1 {
        throw ConfigurationError([.error(c.valueLocation("pool_size"), "'pool_size' of \(c.what) must be at least 1, not \(n)")])
    }
    return text
}

/// Checks what can be checked of a storage entry without opening it (`kesu config check`).
func validateStorage(_ c: DriverConfig) throws {
    if c.driver == "postgres", c.string("url") != nil { _ = try postgresURL(c) }
}

/// Builds an exec driver; a manifest that does not load is a configuration error at `plugin:`.
func execPlugin<T>(_ c: DriverConfig, _ make: (String, [String: JSONValue]) throws -> T) throws -> T {
    var options: [String: ConfigValue] = [:]
    if case let .map(m)? = c["options"] { options = m }
    // Options naming files resolve from kesu.yaml's folder, as every other path in it does.
    for (key, value) in options where PluginManifest.isPathOption(key) {
        if case let .string(path) = value { options[key] = .string(DriverConfig.resolve(path, against: c.baseDirectory)) }
    }
    let dir = c.path("plugin")!
    do {
        return try make(dir, JSONValue.options(options))
    } catch let e as PluginManifestError {
        throw ConfigurationError([.error(c.valueLocation("plugin"), "plugin '\(c.string("plugin") ?? dir)' of \(c.what) cannot be loaded (see below)")]
            + e.diagnostics)
    } catch let e as ExecPluginError {
        throw ConfigurationError([.error(c.valueLocation("plugin"), e.description)])
    }
}

// MARK: Resolution

/// Each deployment file read once per process: the rules folder, the database path and the
/// engine all ask for it during one command.
final class DeploymentFiles: @unchecked Sendable {
    static let shared = DeploymentFiles()
    private let lock = NSLock()
    private var read: [String: (DeploymentConfig, [Diagnostic])] = [:]

    func read(_ path: String) -> (DeploymentConfig, [Diagnostic]) {
        lock.lock()
        defer { lock.unlock() }
        if let done = read[path] { return done }
        let result = DeploymentConfigLoader().read(path: path)
        read[path] = result
        return result
    }
}

/// The deployment file in force and what it chose, with the command line's overrides applied.
struct Deployment {
    /// The file read, or nil for built-in defaults.
    var config: DeploymentConfig
    /// Where the file's name came from: `--config`, `KESU_CONFIG`, `./kesu.yaml`, or nil.
    var source: String?
}

extension GlobalOptions {
    /// The deployment file named by --config or KESU_CONFIG, else ./kesu.yaml when present.
    var configFile: (path: String, source: String)? {
        if let c = config { return (c, "--config") }
        if let e = setting(nil, env: "KESU_CONFIG") { return (e, "KESU_CONFIG") }
        if FileManager.default.fileExists(atPath: "kesu.yaml") { return ("kesu.yaml", "./kesu.yaml") }
        return nil
    }

    /// Reads the deployment file and checks it against the built-in drivers; every problem at once.
    func deployment(registries: DriverRegistries = builtInRegistries()) throws -> Deployment {
        guard let (path, source) = configFile else { return Deployment(config: DeploymentConfig(), source: nil) }
        guard FileManager.default.fileExists(atPath: path) else {
            throw KesuError(.invalidInput, "no deployment file at '\(path)' (named by \(source))")
        }
        let (config, shape) = DeploymentFiles.shared.read(path)
        let problems = shape + config.check(with: registries)
        if problems.hasErrors { throw ConfigurationError(problems) }
        return Deployment(config: config, source: source)
    }

    /// The deployment file's choice, or defaults when it cannot be read (the error surfaces when
    /// the engine is built).
    var deploymentOrDefaults: DeploymentConfig { (try? deployment().config) ?? DeploymentConfig() }

    /// The storage in force: --db / KESU_DB (SQLite at that file), else KESU_DATABASE_URL (PostgreSQL
    /// at that URL), else the file's `storage`, else SQLite at kesu.db.
    func storageConfig(_ d: DeploymentConfig) -> DriverConfig {
        if let db = chosenDB { return DriverConfig(driver: "sqlite", options: ["path": .string(db)], what: "--db") }
        if let url = databaseURL {
            return DriverConfig(driver: "postgres", options: ["url": .string(url)], what: "KESU_DATABASE_URL")
        }
        return d.storage ?? DriverConfig(driver: "sqlite", options: ["path": .string("kesu.db")], what: "storage (default)")
    }

    /// The notification channels: the file's, else one `console` channel (stderr, so stdout stays
    /// the command's output, also with --json).
    func channelConfigs(_ d: DeploymentConfig) -> [DeploymentConfig.Channel] {
        d.notifiers ?? [.init(name: "console", driver: DriverConfig(driver: "console", what: "notifier 'console' (default)"))]
    }

    /// The notification channels by name, built by their drivers (the outbox keeps a row per channel).
    func notificationChannels(_ d: DeploymentConfig, registries: DriverRegistries = builtInRegistries()) throws -> [String: any Notifier] {
        var out: [String: any Notifier] = [:]
        for c in channelConfigs(d) { out[c.name] = try registries.notifier.make(c.driver) }
        return out
    }

    func scoringConfig(_ d: DeploymentConfig) -> DriverConfig {
        d.scoring ?? DriverConfig(driver: "points", what: "scoring (default)")
    }

    /// Builds the store, notifier fan-out and scorer the deployment chose, and the engine on them.
    func configuredEngine() throws -> Engine {
        // A broken deployment file is refused first, with its own diagnostics (it may name the rules).
        _ = try deployment(registries: builtInRegistries())
        let loaded = try loadPack()
        return try deploymentParts().engine(loaded)
    }

    /// The store, channels and scorer the deployment chose, built once: a server builds a new
    /// engine on them each time it reloads the rules.
    func deploymentParts() throws -> DeploymentParts {
        let registries = builtInRegistries()
        let d = try deployment(registries: registries).config
        return DeploymentParts(
            store: try registries.store.make(storageConfig(d)),
            channels: try notificationChannels(d, registries: registries),
            scorer: try registries.scorer.make(scoringConfig(d)),
            subscriptions: d.subscriptions,
            sources: try d.sources.map { s in
                ScheduledSource(intake: SourceIntake(name: s.name, source: try registries.source.make(s.driver), actor: s.actor,
                                                     defaults: s.fields, limit: s.limit),
                                every: .seconds(s.every))
            })
    }
}

struct DeploymentParts: Sendable {
    let store: any CaseStore
    let channels: [String: any Notifier]
    let scorer: any Scorer
    var subscriptions: [Subscription] = []
    var sources: [ScheduledSource] = []

    /// The engine on these parts for a loaded pack; cases pinned to older versions go on under
    /// the sources the store kept.
    func engine(_ loaded: LoadedPack) throws -> Engine {
        var engine = try Engine(pack: loaded.pack, store: store, scorer: scorer, notifiers: channels,
                                snapshot: loaded.snapshot, resolver: StoredPackResolver(store: store), wording: ChineseNotificationWording())
        engine.subscriptions = subscriptions
        return engine
    }
}

// MARK: kesu config

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check or show the deployment file (kesu.yaml).",
        subcommands: [Check.self, ShowConfig.self])

    struct Check: KesuCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the deployment file: every problem at once, with file:line:column (exit 1 on error).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            guard let (path, source) = global.configFile else {
                if global.json { Output.json(["file": .null, "ok": .bool(true), "diagnostics": .array([])]) }
                else { print("no deployment file (--config, KESU_CONFIG or ./kesu.yaml): built-in defaults in force") }
                return
            }
            var problems: [Diagnostic]
            if FileManager.default.fileExists(atPath: path) {
                let (config, shape) = DeploymentConfigLoader().read(path: path)
                problems = shape + config.check(with: builtInRegistries())
                if let rules = config.rulesPath, !FileManager.default.fileExists(atPath: rules), let at = config.rulesLocation {
                    problems.append(.error(at, "no rule pack folder at '\(rules)'"))
                }
                // Build the notifiers and the scorer too (not the store: that would create it), so a
                // plugin whose manifest does not load is reported here rather than at the first command.
                if !problems.hasErrors {
                    let registries = builtInRegistries()
                    func attempt(_ build: () throws -> Void) {
                        do { try build() } catch let e as ConfigurationError { problems += e.diagnostics } catch {
                            problems.append(.error(SourceLocation(file: path, line: 1, column: 1), "\(error)"))
                        }
                    }
                    for c in config.notifiers ?? [] { attempt { _ = try registries.notifier.make(c.driver) } }
                    if let s = config.scoring { attempt { _ = try registries.scorer.make(s) } }
                    if let s = config.storage { attempt { try validateStorage(s) } }
                    for s in config.sources { attempt { _ = try registries.source.make(s.driver) } }
                    // A source registers as its actor: a person of the pack who may register cases.
                    if !config.sources.isEmpty, let pack = try? global.loadPack().pack {
                        problems += ConfigCommand.sourceActorProblems(config.sources, pack: pack)
                    }
                }
            } else {
                problems = [.error(SourceLocation(file: path, line: 1, column: 1), "no deployment file at '\(path)' (named by \(source))")]
            }
            problems = problems.sortedByLocation()
            let errors = problems.filter { $0.severity == .error }.count
            if global.json {
                Output.json(["file": .string(path), "ok": .bool(errors == 0),
                             "diagnostics": .array(problems.map { .string($0.description) })])
            } else {
                for p in problems { Output.err(p.description) }
                if errors == 0 { print("\(path): ok") } else { Output.err("\(path): \(errors) error(s)") }
            }
            if errors > 0 { throw ExitCode(1) }
        }
    }

    /// Sources whose `actor` is not a person of the pack, or holds no role the pack lets register cases.
    static func sourceActorProblems(_ sources: [DeploymentConfig.Source], pack: RulePack) -> [Diagnostic] {
        sources.compactMap { s in
            guard let person = pack.person(s.actor) else {
                return .error(s.actorLocation, "actor '\(s.actor)' of source '\(s.name)' is not a person of the pack"
                    + Suggest.hint(for: s.actor, in: pack.people.map(\.id)))
            }
            let roles = pack.procedure.intake.roles
            guard person.roles.contains(where: roles.contains) else {
                return .error(s.actorLocation, "actor '\(s.actor)' (\(person.name)) of source '\(s.name)' may not register cases: "
                    + "the pack lets \(roles.joined(separator: ", ")) register; choose a person with one of those roles")
            }
            return nil
        }
    }

    struct ShowConfig: KesuCommand {
        /// A subscription's field condition as kesu.yaml writes it: one value, or any of a list.
        static func conditionText(_ c: FieldCondition) -> String {
            switch c.test {
            case let .equals(v): v
            case let .oneOf(vs): vs.joined(separator: "|")
            case let .notOneOf(vs): "not " + vs.joined(separator: "|")
            case let .missing(m): m ? "(missing)" : "(given)"
            }
        }

        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Print the effective configuration: the file's choices with flags and defaults applied.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await guarded(global) {
                let dep = try global.deployment()
                let d = dep.config
                let storage = global.storageConfig(d)
                let channels = global.channelConfigs(d)
                let scoring = global.scoringConfig(d)
                let rulesSource = global.setting(global.rules, env: "KESU_RULES") != nil ? "flag" : d.rules != nil ? "file" : "default"
                func opts(_ c: DriverConfig) -> [String: JSON] {
                    var o: [String: JSON] = ["driver": .string(c.driver)]
                    for (k, v) in c.options {
                        o[k] = .string(k.hasSuffix("path") ? (c.path(k) ?? v.description) : k == "url" ? PostgresURL.masked(v.description) : v.description)
                    }
                    return o
                }
                if global.json {
                    Output.json([
                        "file": .opt(d.file), "file_source": .opt(dep.source),
                        "rules": .string(global.rulesPath), "rules_source": .string(rulesSource),
                        "storage": .object(opts(storage)),
                        "notifiers": .array(channels.map { c in .object(opts(c.driver).merging(["name": .string(c.name)]) { a, _ in a }) }),
                        "scoring": .object(opts(scoring)),
                        "subscriptions": .array(d.subscriptions.map { s in .object([
                            "channel": .string(s.channel), "events": .array(s.events.map { .string($0.description) }),
                            "where": .object(Dictionary(uniqueKeysWithValues: s.conditions.map { ($0.field, JSON.string(Self.conditionText($0))) })),
                            "personal_data": .bool(s.personalData),
                        ]) }),
                        "sources": .array(d.sources.map { s in .object(opts(s.driver).merging([
                            "name": .string(s.name), "every_seconds": .int(s.every), "actor": .string(s.actor), "limit": .int(s.limit),
                            "fields": .object(s.fields.mapValues(JSON.string)),
                        ]) { _, new in new }) }),
                    ])
                } else {
                    func line(_ c: DriverConfig) -> String {
                        ([c.driver] + c.options.keys.sorted().map { k in
                            "\(k)=\(k.hasSuffix("path") ? (c.path(k) ?? "") : k == "url" ? PostgresURL.masked(c.options[k]!.description) : c.options[k]!.description)"
                        }).joined(separator: " ")
                    }
                    print("file:      \(d.file.map { "\($0) (\(dep.source ?? ""))" } ?? "none (built-in defaults)")")
                    print("rules:     \(global.rulesPath) (\(rulesSource))")
                    print("storage:   \(line(storage))\(global.chosenDB != nil ? " (--db)" : global.databaseURL != nil ? " (KESU_DATABASE_URL)" : d.storage == nil ? " (default)" : "")")
                    if channels.isEmpty { print("notifiers: none") }
                    for (i, c) in channels.enumerated() {
                        print("\(i == 0 ? "notifiers:" : "          ") \(c.name): \(line(c.driver))")
                    }
                    print("scoring:   \(line(scoring))\(d.scoring == nil ? " (default)" : "")")
                    for (i, s) in d.subscriptions.enumerated() {
                        let filter = s.conditions.map { "\($0.field)=\(Self.conditionText($0))" }.joined(separator: " ")
                        print("\(i == 0 ? "subscriptions:" : "              ") \(s.channel) ← \(s.events.map(\.description).joined(separator: ", "))"
                              + (filter.isEmpty ? "" : " where \(filter)") + (s.personalData ? " (personal data unmasked)" : ""))
                    }
                    for (i, s) in d.sources.enumerated() {
                        print("\(i == 0 ? "sources:" : "        ") \(s.name): \(line(s.driver)) every \(s.every) s as \(s.actor)")
                    }
                }
            }
        }
    }
}

import ArgumentParser
import Foundation
import KesuKernel
import KesuSQLite
import KesuYAML

@main
struct Kesu: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kesu",
        abstract: "Kesu (客诉): runs a complaint-handling procedure written as a rule pack.",
        discussion: """
        Every command takes --config FILE (env KESU_CONFIG, default ./kesu.yaml if present; see \
        docs/configuration.md), --rules DIR (env KESU_RULES), --db PATH (env KESU_DB, default ./kesu.db), \
        --now ISO-8601 (env KESU_NOW), --as USER (env KESU_USER) and --json. Flags override the file.

        These options go before or after the subcommand: `kesu --rules P --json show N` is \
        `kesu show N --rules P --json`. Given in both places, the one after the subcommand wins.
        """,
        subcommands: [
            Rules.self, Intake.self, Show.self, List.self, Act.self, Extend.self, Sweep.self, Scores.self, Register.self, Report.self, Demo.self,
            Penalties.self, Notifications.self, ConfigCommand.self,
            Plugins.self, SourcesCommand.self, Users.self, LoginsCommand.self, AccessCommand.self, Serve.self, CalendarCommand.self,
        ])

    /// The shared options, parsed here from the whole command line (before and after the
    /// subcommand, in order, so a later one wins) and handed down: argument-parser gives every
    /// subcommand's `@OptionGroup var global: GlobalOptions` this same decoded value.
    @OptionGroup var global: GlobalOptions
}

/// A `kesu` subcommand with the shared options. Its `validate()` checks their values, so a bad
/// --now is a usage error shown with this command's usage; a command with its own `validate()`
/// calls `global.validateValues()` first.
protocol KesuCommand: AsyncParsableCommand {
    var global: GlobalOptions { get }
}

extension KesuCommand {
    func validate() throws { try global.validateValues() }
}

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Deployment file (env KESU_CONFIG; default ./kesu.yaml if present).")
    var config: String?

    @Option(name: .long, help: "Rule pack folder (env KESU_RULES; default ./rules/tobacco-prefecture).")
    var rules: String?

    @Option(name: .long, help: "SQLite database file (env KESU_DB; default ./kesu.db).")
    var db: String?

    @Option(name: .long, help: "The current time, ISO-8601 with offset, for deterministic runs (env KESU_NOW).")
    var now: String?

    @Option(name: [.customLong("as")], help: "Who is acting: a person id from the pack (env KESU_USER).")
    var user: String?

    @Flag(name: .long, help: "Print one JSON document on stdout.")
    var json = false

    /// The option if given, else its environment variable if set and not empty.
    func setting(_ option: String?, env name: String) -> String? {
        option ?? ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    var rulesPath: String {
        setting(rules, env: "KESU_RULES") ?? deploymentOrDefaults.rulesPath ?? "rules/tobacco-prefecture"
    }

    /// The database named by --db or KESU_DB, if any.
    var chosenDB: String? { setting(db, env: "KESU_DB") }

    /// The PostgreSQL database named by KESU_DATABASE_URL, if any (weaker than --db / KESU_DB).
    var databaseURL: String? {
        ProcessInfo.processInfo.environment["KESU_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The SQLite file: --db / KESU_DB, else the deployment file's sqlite `path`, else kesu.db.
    var dbPath: String {
        if let chosenDB { return chosenDB }
        if let s = deploymentOrDefaults.storage, s.driver == "sqlite", let p = s.path("path") { return p }
        return "kesu.db"
    }

    func currentTime() throws -> Date {
        guard let text = setting(now, env: "KESU_NOW") else { return Date() }
        guard let d = ISO8601.parse(text) else {
            throw KesuError(.invalidInput, "--now '\(text)' is not an ISO-8601 time; write it like 2026-09-30T10:00:00+08:00")
        }
        return d
    }

    /// The values argument-parser cannot check by type, checked before anything is read or
    /// written. Not `validate()`: the root command decodes these options, and its usage would
    /// be shown instead of the subcommand's (see `KesuCommand`).
    func validateValues() throws {
        if let text = setting(now, env: "KESU_NOW"), ISO8601.parse(text) == nil {
            throw ValidationError("\(now != nil ? "--now" : "KESU_NOW") '\(text)' is not an ISO-8601 time; write it like 2026-09-30T10:00:00+08:00")
        }
    }

    func actor() throws -> String {
        guard let u = setting(user, env: "KESU_USER") else {
            throw KesuError(.unknownUser, "who is acting? pass --as USER (or set KESU_USER) with a person id from the pack")
        }
        return u
    }

    /// The person named by --as (or KESU_USER) as a viewer of cases, or nil with no --as: the CLI is
    /// then the operator and sees everything unmasked. A viewer without `personal_data` sees the
    /// complainant's personal fields masked.
    func viewer(_ pack: RulePack) throws -> Principal? {
        guard let who = setting(user, env: "KESU_USER") else { return nil }
        guard let p = Principal(personID: who, in: pack) else {
            throw KesuError(.unknownUser, "unknown user '\(who)'\(Suggest.hint(for: who, in: pack.people.map(\.id))); pass --as with a person id from the pack's people")
        }
        return p
    }

    /// These options with the pack folder given as a command's argument, if any, in place of --rules.
    func with(pack: String?) -> GlobalOptions {
        var g = self
        if let pack { g.rules = pack }
        return g
    }

    /// Loads and validates the pack; a pack with errors stops the command before the store is opened.
    func loadPack() throws -> LoadedPack {
        guard FileManager.default.fileExists(atPath: rulesPath) else {
            throw KesuError(.invalidInput, "no rule pack at '\(rulesPath)'; pass --rules DIR (or set KESU_RULES)")
        }
        return try RulePackLoader().load(directory: rulesPath)
    }

    /// The engine on the store, notification channels and scorer the deployment file chose
    /// (see Config.swift): the loaded pack is the one in force, and cases pinned to older
    /// versions go on under the sources the store kept.
    func engine() throws -> Engine {
        try configuredEngine()
    }
}

/// Runs a command body; a refusal is printed (see `Refusal`) and ends the command with its exit
/// status, thrown as `ExitCode` so argument-parser ends the process (never `exit()` from async code).
func guarded(_ options: GlobalOptions, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch {
        guard let refusal = Refusal(error) else { throw error }
        refusal.print(json: options.json)
        throw refusal.exitCode
    }
}

/// The one mapping from what a command throws to what its user sees: a code and message (with
/// the located diagnostics of a refused pack or deployment file), printed as `error: …` on stderr
/// or `{"error": {"code", "message"[, "diagnostics"]}}` on stdout with --json, and the exit status.
/// Refusals exit 1 (README, "The kesu command"); usage errors stay argument-parser's (exit 64).
struct Refusal {
    var code: String
    var message: String
    /// `file:line:column: error: …` lines, for errors that carry every problem found.
    var diagnostics: [String]? = nil
    /// The text form on stderr, when not `error: <message>`.
    var text: String? = nil
    var exitCode: ExitCode { .failure }

    /// nil for argument-parser's own errors (usage, `ExitCode`, help), which it reports itself.
    init?(_ error: any Error) {
        switch error {
        case is ValidationError, is ExitCode, is CleanExit:
            return nil
        case let e as KesuError:
            self.init(code: e.code.rawValue, message: Self.phrased(e))
        case let e as RulePackError:
            self.init(code: "invalid_pack", message: "rule pack refused",
                      diagnostics: e.diagnostics.sortedByLocation().map(\.description), text: e.description)
        case let e as ConfigurationError:
            self.init(code: "invalid_config", message: "configuration refused",
                      diagnostics: e.diagnostics.sortedByLocation().map(\.description), text: e.description)
        case let e as StoreError:
            self.init(code: "store", message: e.description)
        case let e as CalendarError:
            self.init(code: "calendar", message: e.description)
        default:
            // Anything else (a database driver's connection error, say) is still one refusal in
            // the documented form, so a script reading --json always gets JSON.
            self.init(code: "failed", message: String(describing: error))
        }
    }

    /// The kernel's message with the CLI's own words for the input at fault and what to run next.
    static func phrased(_ e: KesuError) -> String {
        var text = e.message
        if let field = e.field, let option = options[field] { text += " (\(option))" }
        switch e.suggestion {
        case .listCases?: text += "; see `kesu list`"
        case .rulesHistory?: text += "; pass --rules with that version's folder, or see `kesu rules history`"
        case let .listPenalties(period)?: text += "; see `kesu penalties list --period \(period) --status all`"
        case .listAccounts?: text += "; see `kesu users list`"
        case nil: break
        }
        return text
    }

    /// The option that gives each input the kernel names.
    static let options = ["actor": "--as", "reason": "--reason", "decision": "--decision", "outcome": "--outcome"]

    init(code: String, message: String, diagnostics: [String]? = nil, text: String? = nil) {
        self.code = code
        self.message = message
        self.diagnostics = diagnostics
        self.text = text
    }

    func print(json: Bool) {
        if json {
            var error: [String: JSON] = ["code": .string(code), "message": .string(message)]
            if let diagnostics { error["diagnostics"] = .array(diagnostics.map(JSON.string)) }
            Output.json(["error": .object(error)])
        } else {
            Output.err(text ?? "error: \(message)")
        }
    }
}

/// `key=value` pairs from repeated --field options; a malformed or repeated pair is a usage error
/// (commands call this from `validate()`).
func parseFields(_ pairs: [String]) throws -> [String: String] {
    var out: [String: String] = [:]
    for p in pairs {
        guard let eq = p.firstIndex(of: "="), eq != p.startIndex else {
            throw ValidationError("--field '\(p)' should look like key=value, e.g. --field category=marketing_service")
        }
        let key = String(p[..<eq]).trimmingCharacters(in: .whitespaces)
        if out[key] != nil { throw ValidationError("--field '\(key)' is given twice") }
        out[key] = String(p[p.index(after: eq)...])
    }
    return out
}

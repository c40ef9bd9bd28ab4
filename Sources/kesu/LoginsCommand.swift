import ArgumentParser
import Foundation
import KesuKernel
import KesuServer

/// `kesu logins add|list|disable|enable|password`: console logins (user name and bcrypt password)
/// for people of the pack. The console's first-run page and its 登录账号 page do the same.
struct LoginsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logins",
        abstract: "Manage web console logins: a user name and password for a person of the pack.",
        subcommands: [Add.self, List.self, Disable.self, Enable.self, Password.self])

    /// The password from standard input (one line), so it never appears in the process list or shell history.
    static func readPassword() throws -> String {
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw KesuError(.invalidInput, "no password on standard input: pipe it in, e.g. `printf '%s' \"$PW\" | kesu logins add … --password-stdin`")
        }
        return line
    }

    struct Add: KesuCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Create a console login for a person of the pack.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The person id from the pack the login signs in as.") var person: String
        @Option(help: "The user name typed at sign-in (2–40 letters, digits, . _ -).") var username: String
        @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input (required).") var passwordStdin = false

        func run() async throws {
            try await guarded(global) {
                guard passwordStdin else { throw ValidationError("pass --password-stdin and pipe the password in") }
                let engine = try global.engine()
                let login = try await Logins(store: engine.store).add(
                    username: username, person: person, password: try LoginsCommand.readPassword(), pack: engine.pack,
                    by: try Users.actor(global, engine.pack), at: try global.currentTime())
                print("login \(login.username) for \(engine.pack.person(login.person)?.name ?? login.person)(\(login.person))")
            }
        }
    }

    struct List: KesuCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List console logins (never their passwords).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await guarded(global) {
                let engine = try global.engine()
                let logins = try await Logins(store: engine.store).list()
                let r = CaseRenderer(engine: engine)
                if global.json {
                    Output.json(["logins": .array(logins.map { l in
                        .object(["username": .string(l.username), "person": .string(l.person), "name": .opt(engine.pack.person(l.person)?.name),
                                 "disabled": .bool(l.disabled), "created_at": r.timeJSON(l.createdAt)])
                    })])
                } else {
                    for l in logins {
                        print("\(l.username)  \(l.person)  \(engine.pack.person(l.person)?.name ?? "(not in the pack)")  created \(r.time(l.createdAt))\(l.disabled ? "  disabled" : "")")
                    }
                    print("\(logins.count) login(s)")
                }
            }
        }
    }

    struct Disable: KesuCommand {
        static let configuration = CommandConfiguration(commandName: "disable", abstract: "Stop a login from signing in (its sessions end).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The user name.") var username: String
        func run() async throws { try await LoginsCommand.setDisabled(true, username, global) }
    }

    struct Enable: KesuCommand {
        static let configuration = CommandConfiguration(commandName: "enable", abstract: "Let a disabled login sign in again.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The user name.") var username: String
        func run() async throws { try await LoginsCommand.setDisabled(false, username, global) }
    }

    static func setDisabled(_ disabled: Bool, _ username: String, _ global: GlobalOptions) async throws {
        try await guarded(global) {
            let engine = try global.engine()
            try await Logins(store: engine.store).setDisabled(disabled, username: username, by: try Users.actor(global, engine.pack), at: try global.currentTime())
            print("login \(username) \(disabled ? "disabled" : "enabled")")
        }
    }

    struct Password: KesuCommand {
        static let configuration = CommandConfiguration(commandName: "password", abstract: "Set a new password for a login (read from standard input).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The user name.") var username: String
        func run() async throws {
            try await guarded(global) {
                let engine = try global.engine()
                try await Logins(store: engine.store).setPassword(username: username, password: try LoginsCommand.readPassword(),
                                                                  by: try Users.actor(global, engine.pack), at: try global.currentTime())
                print("password of \(username) set")
            }
        }
    }
}

import ArgumentParser
import Foundation
import KesuKernel

/// `kesu users add|list|revoke`: API accounts, each a person of the pack with a bearer token.
/// The store keeps only the token's SHA-256; `add` prints the token once.
struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage API accounts: a person of the pack with a token (only its hash is kept).",
        subcommands: [AddUser.self, ListUsers.self, RevokeUser.self])

    /// Who is recorded as doing it: --as if given (a person of the pack), else the operator.
    static func actor(_ global: GlobalOptions, _ pack: RulePack) throws -> String {
        guard let who = global.setting(global.user, env: "KESU_USER") else { return "operator" }
        guard pack.person(who) != nil else {
            throw KesuError(.unknownUser, "unknown user '\(who)'\(Suggest.hint(for: who, in: pack.people.map(\.id))); pass --as with a person id from the pack's people")
        }
        return who
    }

    struct AddUser: KesuCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Create an account for a person of the pack and print its token, once.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The person id from the pack the account acts as.") var person: String
        @Option(help: "What the token is for, e.g. laptop or hotline-integration.") var label: String?

        func run() async throws {
            try await guarded(global) {
                let engine = try global.engine()
                let now = try global.currentTime()
                let (account, token) = try await Accounts(store: engine.store)
                    .add(person: person, label: label, pack: engine.pack, by: try Users.actor(global, engine.pack), at: now)
                if global.json {
                    Output.json(["id": .string(account.id), "person": .string(account.person), "token": .string(token)])
                } else {
                    let name = engine.pack.person(account.person)?.name ?? account.person
                    print("account \(account.id) for \(name)(\(account.person))\(account.label.map { " [\($0)]" } ?? "")")
                    print("token: \(token)")
                    Output.err("warning: the token is shown only this once: only its hash is kept. Store it now; if it is lost, revoke the account and add a new one.")
                }
            }
        }
    }

    struct ListUsers: KesuCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List accounts (never their tokens): id, person, name, roles, label, created, revoked.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await guarded(global) {
                let engine = try global.engine()
                let accounts = try await Accounts(store: engine.store).list()
                let r = CaseRenderer(engine: engine)
                let pack = engine.pack
                if global.json {
                    Output.json(["accounts": .array(accounts.map { a in
                        .object([
                            "id": .string(a.id), "person": .string(a.person), "name": .opt(pack.person(a.person)?.name),
                            "roles": .array((pack.person(a.person)?.roles ?? []).map(JSON.string)), "label": .opt(a.label),
                            "created_at": r.timeJSON(a.createdAt), "revoked_at": r.timeJSON(a.revokedAt),
                            // A person no longer in the pack: the account authenticates but acts as nobody.
                            "known_person": .bool(pack.person(a.person) != nil),
                        ])
                    })])
                } else {
                    for a in accounts {
                        let p = pack.person(a.person)
                        print("\(a.id)  \(a.person)  \(p?.name ?? "(not in the pack)")  [\((p?.roles ?? []).joined(separator: ", "))]"
                            + "  \(a.label ?? "-")  created \(r.time(a.createdAt))"
                            + (a.revokedAt.map { "  revoked \(r.time($0))" } ?? ""))
                    }
                    let live = accounts.filter { !$0.isRevoked }.count
                    print("\(accounts.count) account(s), \(live) live")
                }
            }
        }
    }

    struct RevokeUser: KesuCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke", abstract: "Revoke an account: its token stops working at once. Nothing is deleted.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The account id (see `kesu users list`), e.g. u1.") var id: String

        func run() async throws {
            try await guarded(global) {
                let engine = try global.engine()
                let now = try global.currentTime()
                let accounts = Accounts(store: engine.store)
                try await accounts.revoke(id: id, by: try Users.actor(global, engine.pack), at: now)
                let account = try await accounts.list().first { $0.id == id }
                let r = CaseRenderer(engine: engine)
                if global.json {
                    Output.json(["id": .string(id), "person": .opt(account?.person), "revoked_at": r.timeJSON(account?.revokedAt)])
                } else {
                    print("account \(id) (\(account?.person ?? "?")) revoked at \(r.time(account?.revokedAt))")
                }
            }
        }
    }
}

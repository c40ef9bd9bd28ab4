import Foundation
import Hummingbird
import KesuKernel

/// Checks `Authorization: Bearer <token>` against the accounts in the store and attaches the
/// caller (the pack's person with their roles). Every refusal is a 401 saying why.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = KesuRequestContext
    let accounts: Accounts
    let rules: LiveRules

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw APIError(.unauthorized, "unauthorized", "no token: send Authorization: Bearer <token> (an administrator creates one with `kesu users add --person ID`)")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw APIError(.unauthorized, "unauthorized", "the Authorization header must be 'Bearer <token>'")
        }
        guard let account = try await accounts.authenticate(token: String(parts[1])) else {
            throw APIError(.unauthorized, "unauthorized", "unknown or revoked token; ask an administrator for a new one (kesu users add)")
        }
        let pack = rules.engine.pack
        guard let principal = pack.principal(account.person) else {
            throw APIError(.forbidden, "forbidden", "account \(account.id) belongs to '\(account.person)', who is not a person in the rules in force (\(pack.info.id) \(pack.info.label)); revoke it or restore the person")
        }
        var ctx = context
        ctx.account = account
        ctx.principal = principal
        ctx.logger[metadataKey: "user"] = "\(principal.id)"
        context.authenticated.person = principal.id
        return try await next(request, ctx)
    }
}

extension Principal {
    /// Refuses a write to a read-only caller.
    func mayWrite(_ what: String) throws {
        if readOnly {
            throw APIError(.forbidden, "forbidden", "\(person.name)(\(id)) has a read-only role and may not \(what)")
        }
    }

    func require(_ permission: Permission, for what: String) throws {
        guard has(permission) else {
            throw APIError(.forbidden, "forbidden", "\(person.name)(\(id)) may not \(what): none of their roles (\(person.roles.joined(separator: ", "))) has the '\(permission.rawValue)' permission")
        }
    }

    /// Refuses a case outside the caller's unit when their roles are unit-scoped.
    func mustSee(_ state: CaseState, number: String) throws {
        guard canSee(handlingUnit: state.handlingUnit) else {
            throw APIError(.forbidden, "forbidden", "case \(number) is handled by \(state.handlingUnit ?? "no unit"); \(person.name)(\(id)) sees only the cases of their unit (\(unit))")
        }
    }
}

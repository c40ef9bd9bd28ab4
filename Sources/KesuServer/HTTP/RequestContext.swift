import Foundation
import Hummingbird
import KesuKernel
import Synchronization

/// The request context: who is calling, once the token has been checked.
public struct KesuRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var account: Account?
    public var principal: Principal?
    /// Who the token named, shared with the middleware outside the token check (the request log),
    /// which holds its own copy of the context.
    let authenticated = AuthenticatedPerson()

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// The authenticated caller; routes behind `AuthMiddleware` always have one.
    func caller() throws -> Principal {
        guard let principal else { throw APIError(.unauthorized, "unauthorized", "this endpoint needs a token: send Authorization: Bearer <token> (kesu users add)") }
        return principal
    }
}

/// The person a request authenticated as, written once by the token check.
final class AuthenticatedPerson: Sendable {
    private let id = Mutex<String?>(nil)
    var person: String? {
        get { id.withLock { $0 } }
        set { id.withLock { $0 = newValue } }
    }
}

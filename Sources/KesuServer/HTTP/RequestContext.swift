import Foundation
import Hummingbird
import KesuKernel

/// The request context: who is calling, once the token has been checked.
public struct KesuRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var account: Account?
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// The authenticated caller; routes behind `AuthMiddleware` always have one.
    func caller() throws -> Principal {
        guard let principal else { throw APIError(.unauthorized, "unauthorized", "this endpoint needs a token: send Authorization: Bearer <token> (kesu users add)") }
        return principal
    }
}

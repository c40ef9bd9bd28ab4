import Foundation

/// A refused command: nothing was written. `code` says what kind of refusal, `message` says
/// exactly why and, where possible, what to do instead.
public struct KesuError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable {
        case unknownUser = "unknown_user"
        case forbidden
        case notFound = "not_found"
        case unknownTransition = "unknown_transition"
        case wrongState = "wrong_state"
        case closed
        case missingField = "missing_field"
        case unknownField = "unknown_field"
        case invalidValue = "invalid_value"
        case conflict
        /// An idempotency key used again for a different request.
        case idempotencyMismatch = "idempotency_mismatch"
        case noRoute = "no_route"
        case invalidInput = "invalid_input"
        /// The case runs under a pack version the store does not hold.
        case rulesUnavailable = "rules_unavailable"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

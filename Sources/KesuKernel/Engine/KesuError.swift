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
        /// An upload larger than the deployment allows.
        case tooLarge = "too_large"
    }

    /// What a reader can do next, named in the domain's terms; each front end phrases it its own
    /// way (the CLI as a command, the API as an endpoint).
    public enum Suggestion: Sendable, Equatable {
        /// Find the case among the listings.
        case listCases
        /// See which pack versions the store holds.
        case rulesHistory
        /// See the penalties of a period, whatever their status.
        case listPenalties(period: String)
        /// See the API accounts.
        case listAccounts
    }

    public var code: Code
    /// What went wrong, in the domain's words: no command-line option or HTTP route in it.
    public var message: String
    /// The input at fault, as the domain names it (`reason`, `decision`, `outcome`, `actor`,
    /// a case field id): the CLI names its option, the API its body field.
    public var field: String?
    /// The value refused, when one was given.
    public var value: String?
    /// The values that would have been accepted (for "did you mean" and pick lists).
    public var candidates: [String]
    public var suggestion: Suggestion?

    public init(_ code: Code, _ message: String, field: String? = nil, value: String? = nil, candidates: [String] = [],
                suggestion: Suggestion? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.value = value
        self.candidates = candidates
        self.suggestion = suggestion
    }

    public var description: String { message }
}

import Foundation
import Hummingbird
import KesuKernel

/// A refusal as the API sends it: the HTTP status, a stable `code`, a message saying what was
/// wrong and what to do, and the request field at fault when there is one. Nothing was written.
public struct APIError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// The body field or parameter at fault (`fields.category`, `expected_version`, `?period`).
    public var field: String?
    /// Diagnostics behind the refusal (a rule pack's errors, file:line:column each).
    public var details: [String]
    /// Headers the refusal needs (`Allow` on a 405).
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, field: String? = nil, details: [String] = [],
                headers: HTTPFields = [:]) {
        self.status = status; self.code = code; self.message = message; self.field = field; self.details = details
        self.headers = headers
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var error: [String: JSONValue] = ["code": .string(code), "message": .string(message)]
        if let field { error["field"] = .string(field) }
        if !details.isEmpty { error["details"] = .array(details.map(JSONValue.string)) }
        return JSONResponse.make(.object(["error": .object(error)]), status: status, headers: headers)
    }

    static func badRequest(_ message: String, field: String? = nil) -> APIError {
        APIError(.badRequest, "bad_request", message, field: field)
    }

    /// A method the path does not take: 405 with the methods it does take (RFC 9110 15.5.6).
    static func methodNotAllowed(_ method: HTTPRequest.Method, allowed: [HTTPRequest.Method]) -> APIError {
        let list = allowed.map(\.rawValue).joined(separator: ", ")
        var headers = HTTPFields()
        headers[.allow] = list
        return APIError(.methodNotAllowed, "method_not_allowed", "this endpoint takes \(list), not \(method.rawValue); see docs/openapi.yaml",
                        headers: headers)
    }

    /// The request's name for an input the kernel names: its own body keys as they are, the case
    /// number in the path as `{number}`, a case field inside `fields`.
    static func bodyField(_ field: String) -> String {
        if field == "case" { return "{number}" }
        if field == "sha256" { return "{sha256}" }
        return ["reason", "decision", "outcome", "clock", "transition", "actor", "days", "hours", "file"].contains(field) ? field : "fields.\(field)"
    }

    /// The API's reading of every error the kernel and the stores raise.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let e as APIError: return e
        case let e as KesuError:
            let status: HTTPResponse.Status = switch e.code {
            case .unknownUser, .forbidden: .forbidden
            case .notFound: .notFound
            case .conflict, .wrongState, .closed: .conflict
            case .rulesUnavailable: .serviceUnavailable
            case .tooLarge: .contentTooLarge
            case .idempotencyMismatch: .unprocessableContent
            // A key the request should not have sent, or should have: the request is malformed,
            // like any other unknown or missing body key. A value the rules refuse is a 422.
            case .missingField, .unknownField: .badRequest
            case .invalidValue, .unknownTransition, .noRoute, .invalidInput: .unprocessableContent
            }
            let field = e.code == .idempotencyMismatch ? "Idempotency-Key" : e.field.map(Self.bodyField)
            return APIError(status, e.code.rawValue, Self.phrased(e), field: field)
        case let e as StoreError:
            switch e {
            case .conflict, .recordConflict: return APIError(.conflict, "conflict", e.description)
            case .caseNotFound: return APIError(.notFound, "not_found", e.description)
            case .idempotencyMismatch: return APIError(.unprocessableContent, "idempotency_mismatch", e.description, field: "Idempotency-Key")
            case .failure: return APIError(.serviceUnavailable, "store_unavailable", e.description)
            case .invalidCursor: return APIError(.badRequest, "invalid_cursor", e.description, field: "after")
            }
        case let e as MultipartError: return .multipart(e)
        case let e as RulePackError:
            return APIError(.unprocessableContent, "invalid_pack", "rule pack refused",
                            details: e.diagnostics.sortedByLocation().map(\.description))
        case let e as CalendarError:
            return APIError(.unprocessableContent, "calendar", e.description)
        case let e as HTTPError:
            switch e.status {
            case .notFound: return APIError(.notFound, "no_route", "no such endpoint; see docs/openapi.yaml for the API")
            case .methodNotAllowed: return APIError(.methodNotAllowed, "method_not_allowed", "this endpoint does not take that method; see docs/openapi.yaml")
            case .contentTooLarge: return APIError(.contentTooLarge, "too_large", e.body ?? "request body too large")
            default: return APIError(e.status, "http", e.body ?? e.status.reasonPhrase)
            }
        default:
            return APIError(.internalServerError, "internal", "internal error: \(error)")
        }
    }
}

/// Turns every error below it into the API's JSON error document; 5xx are logged.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let api = APIError.from(error)
            if api.status.code >= 500 {
                context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            }
            return try api.response(from: request, context: context)
        }
    }
}

extension APIError {
    /// The kernel's message with what an API client can do next.
    static func phrased(_ e: KesuError) -> String {
        switch e.suggestion {
        case .listCases?: e.message + "; see GET /v1/cases"
        case .rulesHistory?: e.message + "; the server holds only the rules it has loaded (see GET /v1/rules)"
        case let .listPenalties(period)?: e.message + "; see GET /v1/penalties?period=\(period)&status=all"
        case .listAccounts?: e.message + "; accounts are managed with `kesu users list` on the server"
        case nil: e.message
        }
    }
}

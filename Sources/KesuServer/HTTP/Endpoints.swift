import Hummingbird

/// One route as documented in docs/openapi.yaml: method and path template (`/v1/cases/{number}`).
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public var method: String
    public var path: String
    public var description: String { "\(method) \(path)" }
}

/// Registers routes on a router or group and remembers them, so a test can hold the list
/// against the OpenAPI document (Hummingbird's router does not list its routes).
final class Registrar {
    typealias Handler = @Sendable (Request, KesuRequestContext) async throws -> Response
    private let router: Hummingbird.Router<KesuRequestContext>?
    private let group: RouterGroup<KesuRequestContext>?
    private let prefix: String
    private(set) var endpoints: [Endpoint] = []
    /// The methods each registered path takes, in registration order, for the 405s.
    private var methods: [(path: String, methods: [HTTPRequest.Method])] = []

    /// The methods a client may try on a path it knows (those schemathesis probes among them);
    /// those a path does not take are answered 405 with `Allow`, not 404 as for a path that does not exist.
    static let refusedMethods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete, .options, .trace, HTTPRequest.Method("QUERY")!]

    init(router: Hummingbird.Router<KesuRequestContext>) { self.router = router; self.group = nil; self.prefix = "/" }
    init(group: RouterGroup<KesuRequestContext>, prefix: String) { self.router = nil; self.group = group; self.prefix = prefix }

    func get(_ path: String, _ handler: @escaping Handler) { add(.get, path, handler) }
    func post(_ path: String, _ handler: @escaping Handler) { add(.post, path, handler) }

    /// Answers 405 with `Allow` for every method a registered path does not take. Call once, after
    /// the routes: these answers are not endpoints and are not documented as operations.
    func refuseOtherMethods() {
        for (path, allowed) in methods {
            for method in Self.refusedMethods where !allowed.contains(method) {
                route(method, path) { _, _ in throw APIError.methodNotAllowed(method, allowed: allowed) }
            }
        }
    }

    private func route(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        if let router { router.on(RouterPath(path), method: method, use: handler) }
        if let group { group.on(RouterPath(path), method: method, use: handler) }
    }

    private func add(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        route(method, path, handler)
        if let i = methods.firstIndex(where: { $0.path == path }) { methods[i].methods.append(method) } else { methods.append((path, [method])) }
        let template = path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
        endpoints.append(Endpoint(method: method.rawValue, path: prefix + template))
    }
}

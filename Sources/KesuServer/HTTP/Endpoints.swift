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

    init(router: Hummingbird.Router<KesuRequestContext>) { self.router = router; self.group = nil; self.prefix = "/" }
    init(group: RouterGroup<KesuRequestContext>, prefix: String) { self.router = nil; self.group = group; self.prefix = prefix }

    func get(_ path: String, _ handler: @escaping Handler) { add(.get, path, handler) }
    func post(_ path: String, _ handler: @escaping Handler) { add(.post, path, handler) }

    private func add(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        if let router { router.on(RouterPath(path), method: method, use: handler) }
        if let group { group.on(RouterPath(path), method: method, use: handler) }
        let template = path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
        endpoints.append(Endpoint(method: method.rawValue, path: prefix + template))
    }
}

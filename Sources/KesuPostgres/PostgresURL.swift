import Foundation
import PostgresNIO

/// Where a `PostgresCaseStore` connects, read from a URL:
///
///     postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|require|verify-full][&search_path=SCHEMA]
///
/// `postgresql://` is accepted too. User, password and database are percent-decoded. Without
/// `sslmode` the connection is not encrypted (`disable`); `require` encrypts without checking the
/// server's certificate, `verify-full` encrypts and checks it. `search_path` puts the store's
/// tables in that schema (it must exist), so several deployments can share one database.
public struct PostgresURL: Sendable, Equatable {
    public enum SSLMode: String, Sendable, CaseIterable { case disable, prefer, require, verifyFull = "verify-full" }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    public var searchPath: String?

    public init(
        host: String, port: Int = 5432, username: String, password: String? = nil, database: String,
        sslMode: SSLMode = .disable, searchPath: String? = nil
    ) {
        self.host = host; self.port = port; self.username = username; self.password = password
        self.database = database; self.sslMode = sslMode; self.searchPath = searchPath
    }

    /// Parses `text`; the error quotes it (with any password masked) and says what is wrong.
    public init(_ text: String) throws {
        let shown = Self.masked(text)
        func bad(_ why: String) -> PostgresURLError { PostgresURLError(url: shown, reason: why) }
        guard let components = URLComponents(string: text) else { throw bad("not a URL") }
        guard let scheme = components.scheme?.lowercased(), ["postgres", "postgresql"].contains(scheme) else {
            throw bad("the scheme must be postgres:// or postgresql://")
        }
        guard let host = components.host, !host.isEmpty else { throw bad("no host (postgres://user@host:5432/database)") }
        guard let user = components.user?.removingPercentEncoding, !user.isEmpty else {
            throw bad("no user name (postgres://user@host:5432/database)")
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard let database = path.removingPercentEncoding, !database.isEmpty, !database.contains("/") else {
            throw bad("no database name after the host (postgres://user@host:5432/database)")
        }
        if let port = components.port, !(1...65535).contains(port) { throw bad("port \(port) is out of range") }
        var sslMode = SSLMode.disable
        var searchPath: String?
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw bad("sslmode '\(value)' is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            case "search_path", "schema":
                guard !value.isEmpty else { throw bad("\(item.name) is empty") }
                searchPath = value
            default:
                throw bad("unknown parameter '\(item.name)' (known: sslmode, search_path)")
            }
        }
        self.init(host: host, port: components.port ?? 5432, username: user, password: components.password?.removingPercentEncoding,
                  database: database, sslMode: sslMode, searchPath: searchPath)
    }

    /// The URL with its password replaced by `***`, for messages and logs.
    public static func masked(_ text: String) -> String {
        guard var c = URLComponents(string: text), c.password != nil else { return text }
        c.password = "***"
        return c.string ?? text
    }

    /// The client configuration for this address.
    public func clientConfiguration(poolSize: Int?) throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case .disable: tls = .disable
        case .prefer, .require:
            var config = TLSConfiguration.makeClientConfiguration()
            config.certificateVerification = .none
            tls = sslMode == .prefer ? .prefer(config) : .require(config)
        case .verifyFull: tls = .require(.makeClientConfiguration())
        }
        var config = PostgresClient.Configuration(host: host, port: port, username: username, password: password,
                                                  database: database, tls: tls)
        if let searchPath { config.options.additionalStartupParameters = [("search_path", searchPath)] }
        if let poolSize { config.options.maximumConnections = max(1, poolSize) }
        return config
    }
}

public struct PostgresURLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var url: String
    public var reason: String
    public var description: String { "bad PostgreSQL URL '\(url)': \(reason)" }
}

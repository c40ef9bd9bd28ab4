import Foundation
import KesuKernel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A plugin call that failed: names the plugin, says what went wrong and carries the last
/// lines the plugin wrote on stderr.
public struct ExecPluginError: Error, Sendable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        /// The program could not be started.
        case spawn
        /// No answer within the deadline; the process was killed.
        case timeout
        /// The process exited or closed its pipes.
        case crashed
        /// The plugin printed something that is not JSON.
        case garbage
        /// JSON, but not the answer the protocol asks for.
        case wrongShape = "wrong_shape"
        /// No protocol version both sides speak, or the plugin refused the handshake.
        case protocolMismatch = "protocol_mismatch"
        /// The plugin answered with a JSON-RPC error object (it stays running).
        case pluginError = "plugin_error"
        /// An earlier failure: the plugin is waiting out its restart backoff.
        case down
    }

    public var plugin: String
    public var reason: Reason
    public var message: String
    /// The JSON-RPC error code, for `.pluginError`.
    public var code: Int?
    /// When the plugin will be started again (for failures that killed it).
    public var restartIn: Duration?
    public var stderr: [String]

    public var description: String {
        var s = "plugin '\(plugin)': \(message)"
        if let restartIn { s += "; restarting in \(ExecPlugin.seconds(restartIn)) s" }
        if !stderr.isEmpty { s += "\nlast stderr lines of '\(plugin)':\n" + stderr.map { "  | " + $0 }.joined(separator: "\n") }
        return s
    }
}

/// What the plugin said in the handshake.
public struct PluginHandshake: Sendable, Equatable {
    public var protocolVersion: Int
    public var capabilities: [String: Bool]
    public var pluginID: String
    public var pluginVersion: String
}

/// Runs an exec plugin: spawns its command, shakes hands, sends JSON-RPC calls each with a
/// deadline, and kills a plugin that crashes, hangs, prints garbage or answers with the wrong
/// shape. A killed plugin is started again on a later call, not before its backoff has passed.
///
/// Calls are serialised (one at a time per plugin). `call` is synchronous, for the scorer,
/// which the planner calls synchronously; `callAsync` runs the same on a worker thread.
public final class ExecPlugin: @unchecked Sendable {
    /// Protocol versions this host speaks.
    /// 2 adds `event` (case events for notifiers) and source plugins (`poll`, `ack`); docs/integrations.md.
    public static let supportedProtocols = [1, 2]
    public static let hostName = "kesu"
    public static let defaultHostVersion = "0.1.0"

    /// How long a failed plugin stays down: `initial`, doubling with each failure in a row, at most `max`.
    public struct Backoff: Sendable, Equatable {
        public var initial: Duration
        public var max: Duration
        public init(initial: Duration = .seconds(1), max: Duration = .seconds(60)) { self.initial = initial; self.max = max }
        public func delay(afterFailures n: Int) -> Duration {
            var d = initial
            for _ in 1..<Swift.max(1, n) { d = d * 2; if d >= max { return max } }
            return Swift.min(d, max)
        }
    }

    public let manifest: PluginManifest
    public let backoff: Backoff
    public let hostVersion: String
    private let log: (@Sendable (String) -> Void)?
    private let tail: StderrTail
    private let lock = NSLock()
    private var process: PluginProcess?
    private var nextID = 0
    private var failuresInARow = 0
    private var retryAt: ContinuousClock.Instant?
    private var lastFailure: String?
    private var _handshake: PluginHandshake?
    private var _starts = 0

    /// - Parameters:
    ///   - log: receives every stderr line of the plugin (prefixed `[plugin ID]`) and every failure.
    public init(manifest: PluginManifest, backoff: Backoff = Backoff(), hostVersion: String = ExecPlugin.defaultHostVersion,
                log: (@Sendable (String) -> Void)? = nil) {
        self.manifest = manifest; self.backoff = backoff; self.hostVersion = hostVersion; self.log = log
        self.tail = StderrTail(pluginID: manifest.id, log: log)
    }

    /// Loads `<directory>/plugin.yaml` and makes a host for it; `options` override the manifest's.
    public convenience init(directory: String, options: [String: JSONValue] = [:], backoff: Backoff = Backoff(),
                            log: (@Sendable (String) -> Void)? = nil) throws {
        self.init(manifest: try PluginManifestLoader.load(directory: directory).with(options: options), backoff: backoff, log: log)
    }

    deinit { process?.kill() }

    public var id: String { manifest.id }
    /// The running process's id, if one runs.
    public var pid: Int32? { lock.withLock { process.map(\.pid) } }
    /// How many times the process was started.
    public var starts: Int { lock.withLock { _starts } }
    public var handshake: PluginHandshake? { lock.withLock { _handshake } }
    /// The last lines the plugin wrote on stderr.
    public var stderrTail: [String] { tail.last }

    static func seconds(_ d: Duration) -> String {
        let s = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        return s == s.rounded() ? String(Int(s)) : String(format: "%.1f", s)
    }

    // MARK: Calls

    /// Starts the plugin (spawn and handshake) unless it runs; throws when down or on failure.
    public func start() throws {
        try lock.withLock { try ensureRunning() }
    }

    /// Calls `method` and returns the `result`; `timeout` defaults to the manifest's call timeout.
    public func call(_ method: String, _ params: JSONValue = .object([:]), timeout: Duration? = nil) throws -> JSONValue {
        try call(method, params, timeout: timeout) { $0 }
    }

    /// Calls `method` and checks the result with `decode`; a `ShapeError` it throws kills the plugin like garbage would.
    public func call<T>(_ method: String, _ params: JSONValue = .object([:]), timeout: Duration? = nil,
                        decode: (JSONValue) throws -> T) throws -> T {
        try lock.withLock {
            try ensureRunning()
            guard let p = process else { throw failure(.crashed, "not running") }
            let result = try exchange(p, method, params, timeout: timeout ?? manifest.callTimeout)
            do {
                let value = try decode(result)
                failuresInARow = 0
                return value
            } catch let e as ShapeError {
                throw fail(p, .wrongShape("answered '\(method)' with the wrong shape: \(e.message); got \(Self.clip(result.compact))"))
            }
        }
    }

    /// `call` on a worker thread, so async callers do not block their executor.
    public func callAsync<T: Sendable>(_ method: String, _ params: JSONValue = .object([:]), timeout: Duration? = nil,
                                       decode: @escaping @Sendable (JSONValue) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { cont in
            Thread.detachNewThread {
                cont.resume(with: Result { try self.call(method, params, timeout: timeout, decode: decode) })
            }
        }
    }

    /// `health` → `{ok: true}`.
    public func health() throws {
        try call("health") { r in
            guard r["ok"]?.bool == true else { throw ShapeError("expected {\"ok\": true}") }
        }
    }

    /// Asks the plugin to shut down and waits for it to exit (killing it after `grace`).
    /// Returns true if it answered and exited on its own.
    @discardableResult
    public func shutdown(grace: Duration = .seconds(2)) -> Bool {
        lock.withLock {
            guard let p = process else { return true }
            process = nil
            _handshake = nil
            guard p.isRunning else { p.kill(); return false }
            var clean = false
            if (try? exchange(p, "shutdown", .null, timeout: grace, killOnFault: false)) != nil {
                clean = p.waitExit(timeout: grace)
            }
            if !clean { p.kill() }
            return clean
        }
    }

    // MARK: Internals

    /// Thrown by `decode` closures: the answer does not have the protocol's shape.
    public struct ShapeError: Error, Sendable {
        public var message: String
        public init(_ message: String) { self.message = message }
    }

    private static func clip(_ s: String) -> String { s.count > 300 ? String(s.prefix(300)) + "…" : s }

    private func ensureRunning() throws {
        if let p = process {
            if p.isRunning { return }
            throw fail(p, .exited("exited unexpectedly (\(p.exitDescription(wait: .zero)))"))
        }
        if let retryAt {
            let left = ContinuousClock.now.duration(to: retryAt)
            if left > .zero {
                throw ExecPluginError(plugin: id, reason: .down, message: "is down after: \(lastFailure ?? "a failure")",
                                      restartIn: left, stderr: tail.last)
            }
        }
        let offered = manifest.protocols.filter { Self.supportedProtocols.contains($0) }
        guard !offered.isEmpty else {
            throw ExecPluginError(plugin: id, reason: .protocolMismatch,
                                  message: "speaks protocol \(manifest.protocols.map(String.init).joined(separator: ", ")) and this host speaks \(Self.supportedProtocols.map(String.init).joined(separator: ", "))",
                                  stderr: [])
        }
        let p: PluginProcess
        do { p = try PluginProcess(manifest: manifest, stderr: tail) } catch {
            throw failure(.spawn, (error as? PluginFault).map(Self.message) ?? "\(error)")
        }
        _starts += 1
        process = p
        let params: JSONValue = .object([
            "protocolVersions": .array(offered.map { .number(Double($0)) }),
            "host": ["name": .string(Self.hostName), "version": .string(hostVersion)],
            "options": .object(manifest.options),
        ])
        let r = try exchange(p, "initialize", params, timeout: manifest.initializeTimeout, handshake: true)
        do {
            _handshake = try Self.decodeHandshake(r, offered: offered, kinds: manifest.kinds, id: id)
        } catch {
            throw fail(p, error as? PluginFault ?? .wrongShape("\(error)"))
        }
    }

    static func decodeHandshake(_ r: JSONValue, offered: [Int], kinds: [PluginManifest.Kind], id: String) throws -> PluginHandshake {
        guard let v = r["protocolVersion"]?.number else {
            throw PluginFault.wrongShape("answered 'initialize' without a protocolVersion; got \(clip(r.compact))")
        }
        guard offered.contains(Int(v)) else {
            throw PluginFault.protocolMismatch("chose protocol version \(Int(v)) and this host offered \(offered.map(String.init).joined(separator: ", "))")
        }
        guard let caps = r["capabilities"]?.object else {
            throw PluginFault.wrongShape("answered 'initialize' without capabilities; got \(clip(r.compact))")
        }
        for kind in kinds where !kind.capabilities.contains(where: { caps[$0]?.bool == true }) {
            let named = kind.capabilities.map { "'\($0)'" }.joined(separator: " or ")
            throw PluginFault.wrongShape("is a \(kind.rawValue) by its manifest but does not announce the \(named) capability")
        }
        for capability in ["event", "poll"] where caps[capability]?.bool == true && Int(v) < 2 {
            throw PluginFault.wrongShape("announces the '\(capability)' capability, which needs protocol version 2, and chose version \(Int(v))")
        }
        guard let pid = r["plugin"]?["id"]?.string, let pv = r["plugin"]?["version"]?.string else {
            throw PluginFault.wrongShape("answered 'initialize' without plugin {id, version}; got \(clip(r.compact))")
        }
        guard pid == id else { throw PluginFault.wrongShape("calls itself '\(pid)' but its manifest says '\(id)'") }
        return PluginHandshake(protocolVersion: Int(v), capabilities: caps.compactMapValues(\.bool), pluginID: pid, pluginVersion: pv)
    }

    /// One request and its response. A fault kills the plugin (unless `killOnFault` is false) and
    /// throws an ExecPluginError; a JSON-RPC error object is thrown without killing it.
    private func exchange(_ p: PluginProcess, _ method: String, _ params: JSONValue, timeout: Duration,
                          handshake: Bool = false, killOnFault: Bool = true) throws -> JSONValue {
        nextID += 1
        let rid = nextID
        let request: JSONValue = ["jsonrpc": "2.0", "id": .number(Double(rid)), "method": .string(method), "params": params]
        let started = ContinuousClock.now
        do {
            try p.send(request.compact)
            let line = try p.readLine(deadline: started + timeout,
                                      waitingFor: "no answer to '\(method)' within \(Self.millis(timeout)) ms")
            guard let msg = try? JSONValue.parse(Data(line.utf8)) else {
                throw PluginFault.garbage("printed something that is not JSON in answer to '\(method)': \(Self.clip(line))")
            }
            guard msg.object != nil else {
                throw PluginFault.wrongShape("answered '\(method)' with something that is not a JSON-RPC 2.0 response object: \(Self.clip(line))")
            }
            guard msg["jsonrpc"]?.string == "2.0" else {
                let given = msg["jsonrpc"].map { "\"jsonrpc\": \($0.compact)" } ?? "no \"jsonrpc\" member"
                throw PluginFault.wrongShape("answered '\(method)' with \(given); every answer must carry \"jsonrpc\": \"2.0\": \(Self.clip(line))")
            }
            guard let given = msg["id"] else {
                throw PluginFault.wrongShape("answered '\(method)' without an \"id\"; the answer must carry the request's id \(rid): \(Self.clip(line))")
            }
            guard let mid = given.number, Int(exactly: mid) == rid else {
                throw PluginFault.wrongShape("answered '\(method)' (request id \(rid)) with id \(given.compact); each answer must carry its request's id, one answer per request, in order: \(Self.clip(line))")
            }
            if let e = msg["error"] {
                guard let code = e["code"]?.number, let message = e["message"]?.string else {
                    throw PluginFault.wrongShape("answered '\(method)' with a malformed error object: \(Self.clip(line))")
                }
                if handshake { throw PluginFault.protocolMismatch("refused the handshake: \(message) (code \(Int(code)))") }
                throw PluginFault.rpcError(code: Int(code), message: message)
            }
            guard let result = msg.object?["result"] else {
                throw PluginFault.wrongShape("answered '\(method)' with neither result nor error: \(Self.clip(line))")
            }
            return result
        } catch let fault as PluginFault {
            if case let .rpcError(code, message) = fault {
                throw ExecPluginError(plugin: id, reason: .pluginError, message: "refused '\(method)': \(message)",
                                      code: code, stderr: tail.last)
            }
            if !killOnFault { p.kill(); throw ExecPluginError(plugin: id, reason: .crashed, message: Self.message(fault), stderr: tail.last) }
            throw fail(p, fault)
        }
    }

    static func millis(_ d: Duration) -> Int { Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000) }

    static func message(_ f: PluginFault) -> String {
        switch f {
        case let .spawn(m), let .timeout(m), let .exited(m), let .garbage(m), let .wrongShape(m), let .protocolMismatch(m): m
        case let .rpcError(code, m): "\(m) (code \(code))"
        }
    }

    static func reason(_ f: PluginFault) -> ExecPluginError.Reason {
        switch f {
        case .spawn: .spawn
        case .timeout: .timeout
        case .exited: .crashed
        case .garbage: .garbage
        case .wrongShape: .wrongShape
        case .protocolMismatch: .protocolMismatch
        case .rpcError: .pluginError
        }
    }

    /// Kills the process, records the failure and starts the backoff.
    private func fail(_ p: PluginProcess, _ fault: PluginFault) -> ExecPluginError {
        p.kill()
        if process === p { process = nil; _handshake = nil }
        var message = Self.message(fault)
        if case .timeout = fault { message += "; killed it" }
        return failure(Self.reason(fault), message)
    }

    private func failure(_ reason: ExecPluginError.Reason, _ message: String) -> ExecPluginError {
        failuresInARow += 1
        let delay = backoff.delay(afterFailures: failuresInARow)
        retryAt = ContinuousClock.now + delay
        lastFailure = message
        tail.flush()
        let e = ExecPluginError(plugin: id, reason: reason, message: message, restartIn: delay, stderr: tail.last)
        log?("[plugin \(id)] failed: \(e.description)")
        return e
    }
}

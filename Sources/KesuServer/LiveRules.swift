import Dispatch
import Foundation
import KesuKernel
import KesuYAML
import Synchronization

/// The rules in force and the engine built on them. A reload loads the pack folder again and
/// swaps the engine only when the pack validates; otherwise the old one stays live and the
/// errors are returned. Requests read the current engine without waiting on a reload.
public final class LiveRules: Sendable {
    public struct Info: Sendable, Equatable {
        public var version: String
        public var id: String
        public var label: String
        public var loadedAt: Date
        public var warnings: [Diagnostic]
        /// The pack calendar's zone, in which the API writes `loadedAt` like every other time.
        public var timeZone: TimeZone
    }

    /// Held only to read or swap the pair, never while a pack loads.
    private let current: Mutex<(engine: Engine, info: Info)>
    /// Reloads run here, one at a time (a SIGHUP and an admin call may arrive together), and off
    /// the cooperative pool: reading and validating YAML blocks for as long as the pack is large.
    private let loadQueue = DispatchQueue(label: "kesu.rules.reload")
    public let rulesPath: String
    private let makeEngine: @Sendable (LoadedPack) throws -> Engine

    /// Loads the pack at `rulesPath` and builds its engine; throws the pack's errors.
    public init(rulesPath: String, at now: Date, makeEngine: @escaping @Sendable (LoadedPack) throws -> Engine) throws {
        self.rulesPath = rulesPath
        self.makeEngine = makeEngine
        let loaded = try RulePackLoader().load(directory: rulesPath)
        let engine = try makeEngine(loaded)
        current = Mutex((engine, Self.info(loaded, engine: engine, at: now)))
    }

    static func info(_ loaded: LoadedPack, engine: Engine, at now: Date) -> Info {
        Info(version: loaded.pack.version, id: loaded.pack.info.id, label: loaded.pack.info.label, loadedAt: now,
             warnings: loaded.warnings, timeZone: engine.planner.calendar.timeZone)
    }

    public var engine: Engine { current.withLock { $0.engine } }
    public var info: Info { current.withLock { $0.info } }

    /// Loads and validates the pack folder without putting it in force.
    public func validate() -> (diagnostics: [Diagnostic], version: String?) {
        do {
            let loaded = try RulePackLoader().load(directory: rulesPath)
            return (loaded.warnings, loaded.pack.version)
        } catch let e as RulePackError {
            return (e.diagnostics, nil)
        } catch {
            return ([.error(.code(rulesPath), "\(error)")], nil)
        }
    }

    /// Puts the pack folder's rules in force; throws `RulePackError` (nothing changes) when it
    /// does not validate. Returns the previous and the new info.
    @discardableResult
    public func reload(at now: Date) async throws -> (previous: Info, current: Info) {
        try await withCheckedThrowingContinuation { continuation in
            loadQueue.async {
                continuation.resume(with: Result(catching: { try self.loadAndSwap(at: now) }))
            }
        }
    }

    /// Loads the pack folder (off the cooperative pool); throws its errors.
    public func loadFolder() async throws -> LoadedPack {
        try await withCheckedThrowingContinuation { continuation in
            loadQueue.async { continuation.resume(with: Result(catching: { try RulePackLoader().load(directory: self.rulesPath) })) }
        }
    }

    /// Puts an already loaded pack in force (a deployment from the rules desk, a rollback, another
    /// instance's deployment); throws, changing nothing, if its engine cannot be built.
    @discardableResult
    public func install(_ loaded: LoadedPack, at now: Date) async throws -> (previous: Info, current: Info) {
        put(try await prepare(loaded, at: now))
    }

    /// A pack's engine, built and ready to put in force.
    public struct Prepared: Sendable {
        let engine: Engine
        public let info: Info
    }

    /// Builds the engine for a loaded pack without putting it in force (a deployment records
    /// itself in between, so the store never names a pack this instance could not run).
    public func prepare(_ loaded: LoadedPack, at now: Date) async throws -> Prepared {
        try await withCheckedThrowingContinuation { continuation in
            loadQueue.async {
                continuation.resume(with: Result(catching: {
                    let engine = try self.makeEngine(loaded)
                    return Prepared(engine: engine, info: Self.info(loaded, engine: engine, at: now))
                }))
            }
        }
    }

    @discardableResult
    public func put(_ p: Prepared) -> (previous: Info, current: Info) {
        let previous = current.withLock { pair -> Info in
            let old = pair.info
            pair = (p.engine, p.info)
            return old
        }
        return (previous, p.info)
    }

    private func loadAndSwap(at now: Date) throws -> (previous: Info, current: Info) {
        let loaded = try RulePackLoader().load(directory: rulesPath)
        let engine = try makeEngine(loaded)
        let info = Self.info(loaded, engine: engine, at: now)
        let previous = current.withLock { pair -> Info in
            let p = pair.info
            pair = (engine, info)
            return p
        }
        return (previous, info)
    }
}

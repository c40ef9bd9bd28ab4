import Foundation
import KesuKernel
import KesuYAML

/// The rules in force and the engine built on them. A reload loads the pack folder again and
/// swaps the engine only when the pack validates; otherwise the old one stays live and the
/// errors are returned. Requests read the current engine without waiting on a reload.
public final class LiveRules: @unchecked Sendable {
    public struct Info: Sendable, Equatable {
        public var version: String
        public var id: String
        public var label: String
        public var loadedAt: Date
        public var warnings: [Diagnostic]
    }

    private let lock = NSLock()
    private var current: (engine: Engine, info: Info)
    /// One reload at a time (a SIGHUP and an admin call may arrive together).
    private let reloadLock = NSLock()
    public let rulesPath: String
    private let makeEngine: @Sendable (LoadedPack) throws -> Engine

    /// Loads the pack at `rulesPath` and builds its engine; throws the pack's errors.
    public init(rulesPath: String, at now: Date, makeEngine: @escaping @Sendable (LoadedPack) throws -> Engine) throws {
        self.rulesPath = rulesPath
        self.makeEngine = makeEngine
        let loaded = try RulePackLoader().load(directory: rulesPath)
        let engine = try makeEngine(loaded)
        current = (engine, Self.info(loaded, at: now))
    }

    static func info(_ loaded: LoadedPack, at now: Date) -> Info {
        Info(version: loaded.pack.version, id: loaded.pack.info.id, label: loaded.pack.info.label, loadedAt: now, warnings: loaded.warnings)
    }

    public var engine: Engine { lock.withLock { current.engine } }
    public var info: Info { lock.withLock { current.info } }

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
    public func reload(at now: Date) throws -> (previous: Info, current: Info) {
        reloadLock.lock(); defer { reloadLock.unlock() }
        let loaded = try RulePackLoader().load(directory: rulesPath)
        let engine = try makeEngine(loaded)
        let info = Self.info(loaded, at: now)
        let previous = lock.withLock { () -> Info in
            let p = current.info
            current = (engine, info)
            return p
        }
        return (previous, info)
    }
}

import Foundation
import KesuKernel
import KesuYAML
import Logging
import ServiceLifecycle
import Synchronization

/// One deployment at a time on an instance (a second one while the first records is refused, not queued).
final class DeployGate: Sendable {
    private let busy = Mutex(false)
    func enter() -> Bool { busy.withLock { b in if b { return false }; b = true; return true } }
    func leave() { busy.withLock { $0 = false } }
}

extension KesuAPI {
    var desk: RulesDeskRecords { RulesDeskRecords(store: rules.engine.store) }

    /// Puts a loaded pack in force and records it in the store's deployment stream (who, why,
    /// from where) — the record first, so an acknowledged deployment is never lost and the store
    /// never names a pack this instance could not build. Other instances follow within a tick.
    @discardableResult
    public func deploy(_ loaded: LoadedPack, source: PackDeployment.Source, origin: String, candidate: String? = nil,
                       by: String, reason: String) async throws -> (previous: LiveRules.Info, current: LiveRules.Info) {
        guard deployGate.enter() else {
            throw APIError(.conflict, "deploy_in_progress", "another deployment is being recorded on this instance; try again in a moment")
        }
        defer { deployGate.leave() }
        let at = now()
        let prepared = try await rules.prepare(loaded, at: at)
        let d = PackDeployment(version: loaded.pack.version, packName: loaded.pack.info.name, previous: rules.info.version, source: source,
                               origin: origin, candidate: candidate, by: by, reason: reason, at: at)
        try await desk.record(d, snapshot: loaded.snapshot)
        if let candidate { try await desk.markDeployed(candidate, d) }
        let r = rules.put(prepared)
        logger.notice("rules deployed", metadata: [
            "source": "\(source.rawValue)", "origin": "\(origin)", "by": "\(by)", "reason": "\(reason)",
            "previous": "\(r.previous.version.prefix(12))", "current": "\(r.current.version.prefix(12))",
        ])
        return r
    }

    /// At start: the folder given to `--rules` is deployed (recorded) when it changed since it was
    /// last deployed, else the store's latest deployment stays in force (a rules-desk deploy
    /// outlives a restart; editing the folder and restarting still puts the folder in force).
    public func reconcileDeployments() async throws {
        let all = try await desk.deployments()
        let folder = rules.info.version
        let lastFolder = all.last { $0.source == .folder }
        if lastFolder?.version != folder {
            let loaded = try await rules.loadFolder()
            guard loaded.pack.version == folder else { return }   // the folder changed under us; the next reload records it
            let d = PackDeployment(version: folder, packName: loaded.pack.info.name, previous: all.last?.version, source: .folder,
                                   origin: rules.rulesPath, by: "kesu serve", reason: all.isEmpty ? "首次启动" : "启动时规则文件夹已更改",
                                   at: now())
            try await desk.record(d, snapshot: loaded.snapshot)
            return
        }
        try await followDeployments()
    }

    /// Puts the store's latest deployment in force when it is not (another instance deployed or rolled back).
    public func followDeployments() async throws {
        guard let latest = try await desk.latestDeployment(), latest.version != rules.info.version else { return }
        guard let snapshot = try await rules.engine.store.pack(version: latest.version) else {
            throw StoreError.failure(operation: "follow deployment \(latest.version.prefix(12))", detail: "the store has no files for that version")
        }
        let loaded = try RulePackLoader().load(snapshot: snapshot)
        let r = try await rules.install(loaded, at: now())
        logger.notice("rules follow the store's latest deployment", metadata: [
            "by": "\(latest.by)", "source": "\(latest.source.rawValue)", "previous": "\(r.previous.version.prefix(12))",
            "current": "\(r.current.version.prefix(12))",
        ])
    }
}

/// Reconciles the folder with the store's deployments once the store is up, then follows
/// deployments made on other instances, every sweep interval.
struct DeploymentService: Service {
    let api: KesuAPI

    func run() async throws {
        do { try await api.reconcileDeployments() } catch {
            api.logger.error("could not read or record the rules deployment at start; the folder's rules are in force",
                             metadata: ["error": "\(error)"])
        }
        var failing: String?
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: api.settings.sweepInterval) } } catch { break }
            do {
                try await api.followDeployments()
                failing = nil
            } catch {
                // Said once per distinct failure, not every tick.
                let text = "\(error)"
                if text != failing { api.logger.error("could not follow the latest rules deployment", metadata: ["error": "\(text)"]) }
                failing = text
            }
        }
    }
}

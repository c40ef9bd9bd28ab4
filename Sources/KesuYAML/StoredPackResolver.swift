import Foundation
import KesuKernel

/// Rebuilds an older pack version from the sources the store kept (`CaseStore.pack(version:)`), so a case
/// pinned to it goes on under its own rules: pass it as the engine's `resolver`. Nil when the store holds no
/// sources for the version; the engine refuses a rebuilt pack whose version differs.
public struct StoredPackResolver: PackResolver {
    public let store: any CaseStore

    public init(store: any CaseStore) { self.store = store }

    public func pack(version: String) async throws -> RulePack? {
        guard let snapshot = try await store.pack(version: version) else { return nil }
        return try RulePackLoader().load(snapshot: snapshot).pack
    }
}

import Foundation
import KesuKernel

extension KesuAPI {
    /// Records that `who` is being shown `state`'s personal fields unmasked, before the response
    /// leaves: a failure to record throws, so the data is not sent. Nothing is recorded for a reader
    /// who sees them masked, or a case without personal values.
    func recordPersonalView(_ who: Principal, _ state: CaseState, via channel: PersonalDataView.Channel) async throws {
        try await PersonalDataViews(store: rules.engine.store).recordShown(state, to: who, pack: rules.engine.pack, at: now(), via: channel)
    }
}

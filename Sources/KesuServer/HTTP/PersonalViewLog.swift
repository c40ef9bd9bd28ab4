import Foundation
import KesuKernel

extension KesuAPI {
    /// Records that `who` is being shown `state`'s personal fields unmasked, before the response
    /// leaves: a failure to record throws, so the data is not sent. Nothing is recorded for a reader
    /// who sees them masked, or a case without personal values.
    func recordPersonalView(_ who: Principal, _ state: CaseState, via channel: PersonalDataView.Channel) async throws {
        guard who.has(.personalData) else { return }
        let personal = PersonalData.personalFields(in: rules.engine.pack)
        guard state.fields.contains(where: { personal.contains($0.key) && !$0.value.isEmpty }) else { return }
        try await PersonalDataViews(store: rules.engine.store)
            .record(PersonalDataView(person: who.id, caseNumber: state.number, at: now(), channel: channel))
    }
}

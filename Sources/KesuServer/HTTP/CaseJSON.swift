import Foundation
import KesuKernel
import KesuViews

/// How cases, summaries and events look in the API (docs/openapi.yaml: Case, CaseSummary,
/// Event): the shared views of KesuViews, which `kesu show --json` prints too.
struct CaseJSON {
    let engine: Engine
    let viewer: Principal

    func builder(_ now: Date) -> CaseViewBuilder { CaseViewBuilder(engine: engine, viewer: viewer, now: now) }

    /// `rules`: the planner of the rules the case runs under (the pack in force when nil).
    func `case`(_ raw: CaseState, at now: Date, events: [Event]? = nil, rules: Planner? = nil) -> JSONValue {
        (try? ViewJSON.value(builder(now).view(raw, events: events, rules: rules ?? engine.planner))) ?? .null
    }

    func summary(_ s: CaseSummary, at now: Date) -> JSONValue {
        (try? ViewJSON.value(builder(now).row(s))) ?? .null
    }
}

import Foundation
import Hummingbird
import KesuKernel

/// `GET /v1/events?after=CURSOR&limit=N`: the case events in commit order, for integrations that poll
/// (docs/integrations.md). The cursor is the store's: stable across restarts and instances. Each event is the
/// object webhooks receive, for the cases the caller may see, masked unless the caller may see personal data.
struct EventFeedRoutes {
    let api: KesuAPI

    func register(on group: Registrar) {
        group.get("events", feed)
    }

    @Sendable func feed(_ request: Request, context: KesuRequestContext) async throws -> Response {
        let who = try context.caller()
        let q = Query(request: request)
        try q.allowOnly(["after", "limit"])
        let limit = try q.int("limit", range: 1...1000) ?? 100
        if let raw = q.raw("after"), raw.isEmpty {
            throw APIError.badRequest("query parameter 'after' is empty: give the cursor of the last page, or leave it out to start at the beginning", field: "?after")
        }
        let engine = api.rules.engine
        let page = try await engine.store.eventFeed(after: q.string("after"), limit: limit)
        let personal = who.has(.personalData)
        // Each event with its case as it left it: fold each case's history up to the event.
        let ids = Array(Set(page.events.map(\.caseID)))
        var histories: [Int64: [Event]] = [:]
        for e in try await engine.store.events(caseIDs: ids) { histories[e.caseID, default: []].append(e) }
        // Who may see a case is decided by where it is now, as for every other read of it: once per case.
        let visible = Set(histories.filter { who.canSee(handlingUnit: CaseState(events: $0.value).handlingUnit) }.keys)
        var items: [JSONValue] = []
        // A case's events come in seq order within a page: its state is folded on as the page goes.
        var folded: [Int64: (state: CaseState, upTo: Int)] = [:]
        for e in page.events where visible.contains(e.caseID) {
            var (state, upTo) = folded[e.caseID] ?? (CaseState(), 0)
            for h in histories[e.caseID] ?? [] where h.seq > upTo && h.seq <= e.seq { state.apply(h) }
            folded[e.caseID] = (state, e.seq)
            let pack = try await engine.planner(for: state).pack
            items.append(CaseEvents.json(e, after: state, pack: pack, personalData: personal))
        }
        return JSONResponse.make(.object([
            "events": .array(items),
            "cursor": page.cursor.map(JSONValue.string) ?? .null,
            "more": .bool(page.events.count == limit),
        ]))
    }
}

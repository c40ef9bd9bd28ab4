import Foundation

// Extension requests (申请延期): the person working a case asks for more time on a running clock; an approver
// grants it (`Engine.extend`, whose `clockExtended` settles the request) or declines it with a reason.

extension Planner {
    /// Whether `person` works the case: not read-only, and may take some transition the case offers now.
    public func worksOn(_ current: CaseState, person: PersonDef) -> Bool {
        available(for: current).contains { mayAct(person, roles: $0.roles, handlingUnit: current.handlingUnit) }
    }

    /// The body field an extension length comes in: `days` or `hours`.
    static func lengthField(_ length: ClockLength) -> String {
        if case .workingMinutes = length { return "hours" }
        return "days"
    }

    /// The clock of a case an extension request is about, with its rule: refuses an unknown clock, one the pack
    /// gives no extension rule, or one not running.
    func requestableClock(_ clockID: String, on current: CaseState) throws -> (ClockDef, ExtensionRule, ClockState) {
        if current.isClosed {
            throw KesuError(.closed, "case \(current.number) is closed; its clocks have stopped", field: "clock", value: clockID)
        }
        guard let def = pack.clock(clockID) else {
            throw KesuError(.notFound, "no clock '\(clockID)' in this pack\(Suggest.hint(for: clockID, in: pack.clocks.map(\.id)))",
                            field: "clock", value: clockID, candidates: pack.clocks.map(\.id))
        }
        guard let rule = def.extensionRule else {
            throw KesuError(.forbidden, "clock '\(clockID)' (\(def.name)) cannot be extended under this pack", field: "clock", value: clockID)
        }
        guard let clock = current.clocks[clockID], clock.status == .running else {
            throw KesuError(.wrongState, "clock '\(clockID)' (\(def.name)) is not running on case \(current.number)", field: "clock", value: clockID)
        }
        return (def, rule, clock)
    }

    /// An extension request: `extensionRequested` by `actorID`, who must work the case. The clock must be running
    /// with an extension rule, the run below its `max_count`, the length within `max_length`, no request pending
    /// for the run (`conflict`), a reason given; and, unless the pack allows late extensions, the run not yet due.
    public func planExtensionRequest(
        clockID: String, length: ClockLength, reason: String, on current: CaseState, by actorID: String, at now: Date
    ) throws -> [Event] {
        let actor = try person(actorID)
        let (def, rule, clock) = try requestableClock(clockID, on: current)
        guard worksOn(current, person: actor) else {
            throw KesuError(.forbidden, "\(actor.id) (\(actor.name)) may not ask for an extension on case \(current.number): only the people "
                            + "who may act on it now (state \(current.state), handled by \(current.handlingUnit ?? "no unit yet")) may",
                            field: "actor", value: actorID)
        }
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else {
            throw KesuError(.missingField, "an extension request needs a reason", field: "reason")
        }
        if let pending = clock.pendingRequest {
            throw KesuError(.conflict, "clock '\(clockID)' (\(def.name)) of case \(current.number) already has an extension request pending "
                            + "(\(pending.length), asked by \(pending.requester)); an approver grants or declines it first",
                            field: "clock", value: clockID)
        }
        guard clock.extensions.count < rule.maxCount else {
            throw KesuError(.forbidden, "clock '\(clockID)' has already been extended \(clock.extensions.count) time(s); the pack allows \(rule.maxCount)",
                            field: "clock", value: clockID)
        }
        guard length.isPositive, length.fits(within: rule.maxLength, dayMinutes: workingDayMinutes) else {
            throw KesuError(.invalidValue, "an extension of \(length) is not allowed for '\(clockID)'; at most \(rule.maxLength)",
                            field: Self.lengthField(length), value: "\(length)")
        }
        if now >= clock.dueAt, !rule.allowLate {
            let dueText = ISO8601.format(clock.dueAt, in: calendar.timeZone)
            throw KesuError(.forbidden, "clock '\(clockID)' (\(def.name)) of case \(current.number) was due at \(dueText); extensions must be "
                            + "granted before that (the pack does not set allow_late for this clock)", field: "clock", value: clockID)
        }
        let d = Draft(state: current, actor: actorID, now: now, packVersion: pack.version)
        d.emit(.extensionRequested(clock.run, length: length, reason: reason), rule: clockID)
        return d.events
    }

    /// Declines the run's pending extension request: `extensionDeclined`, by an approver of the clock's rule
    /// (as for granting), with a reason.
    public func planExtensionDecline(
        clockID: String, reason: String, on current: CaseState, by actorID: String, at now: Date
    ) throws -> [Event] {
        let actor = try person(actorID)
        let (_, rule, clock) = try requestableClock(clockID, on: current)
        guard mayAct(actor, roles: rule.approvers, handlingUnit: current.handlingUnit) else {
            var e = refuse(actor, roles: rule.approvers, step: "decline an extension request of \(clockID)", handlingUnit: current.handlingUnit)
            e.field = "actor"; e.value = actorID
            throw e
        }
        guard clock.pendingRequest != nil else {
            throw KesuError(.wrongState, "clock '\(clockID)' of case \(current.number) has no extension request pending", field: "clock", value: clockID)
        }
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else {
            throw KesuError(.missingField, "declining an extension request needs a reason", field: "reason")
        }
        let d = Draft(state: current, actor: actorID, now: now, packVersion: pack.version)
        d.emit(.extensionDeclined(clock.run, reason: reason, by: actorID), rule: clockID)
        return d.events
    }

    /// The people who may grant an extension of this clock on the case (its approver roles in scope), but not `excluding`.
    public func extensionApprovers(_ clockID: String, on state: CaseState, excluding: String? = nil) -> [String] {
        Self.extensionApprovers(clockID, pack: pack, handlingUnit: state.handlingUnit, excluding: excluding)
    }

    static func extensionApprovers(_ clockID: String, pack: RulePack, handlingUnit: String?, excluding: String?) -> [String] {
        guard let rule = pack.clock(clockID)?.extensionRule else { return [] }
        return pack.people.filter { p in
            p.id != excluding && p.roles.contains { r in
                guard rule.approvers.contains(r), let def = pack.role(r), !def.readOnly else { return false }
                return def.scope == .all || p.unit == handlingUnit
            }
        }.map(\.id)
    }
}

extension Engine {
    /// Asks for `length` more on a running clock (申请延期). `requester` must work the case (a non-read-only person who
    /// may take a transition it offers now). The request stays pending until an approver grants it (`extend`) or
    /// declines it (`declineExtension`); the approvers in scope are notified. A refusal writes nothing.
    @discardableResult
    public func requestExtension(
        _ ref: String, clock: String, by length: ClockLength, reason: String, requester: String, at now: Date,
        expectedVersion: Int? = nil
    ) async throws -> CaseState {
        let current = try await find(ref)
        try Self.check(expectedVersion, against: current)
        let rules = try await planner(for: current)
        let events = try rules.planExtensionRequest(clockID: clock, length: length, reason: reason, on: current, by: requester, at: now)
        return try await commit(events, to: current, under: rules)
    }

    /// Declines the pending extension request of a clock, with a reason; `approver` must be one of the clock's
    /// extension approvers in scope (as for `extend`). A refusal writes nothing.
    @discardableResult
    public func declineExtension(
        _ ref: String, clock: String, reason: String, by approver: String, at now: Date, expectedVersion: Int? = nil
    ) async throws -> CaseState {
        let current = try await find(ref)
        try Self.check(expectedVersion, against: current)
        let rules = try await planner(for: current)
        let events = try rules.planExtensionDecline(clockID: clock, reason: reason, on: current, by: approver, at: now)
        return try await commit(events, to: current, under: rules)
    }
}

import Foundation

/// Runs a rule pack against a store: commands become events, written in one transaction each.
/// Time is always given (`at:`), so every run is reproducible.
public struct Engine: Sendable {
    public let planner: Planner
    public let store: any CaseStore
    /// The configured notification channels, by name. Commands and the sweep enqueue one outbox
    /// item per notification and channel in their commit; `deliverOutbox` delivers them.
    public let notifiers: [String: any Notifier]
    /// Which case events go to which channel (kesu.yaml's `subscriptions:`), through the outbox like notifications.
    public var subscriptions: [Subscription] = []
    /// How `deliverOutbox` retries a channel that fails.
    public var retryPolicy: RetryPolicy = .standard
    /// Writes the text of each notification (front ends give their language's wording).
    public let wording: any NotificationWording
    /// How long the sweep leaves a case it had to skip (rules not held, a failing scorer, endless
    /// conflicts) before it looks at it again.
    public var sweepRetryInterval: TimeInterval = 3600
    let shelf: RuleShelf

    /// The channel an engine built with `notifier:` delivers on.
    public static let defaultChannel = "default"

    /// The notifier of the `default` channel (the one given as `notifier:`), if any.
    public var notifier: (any Notifier)? { notifiers[Self.defaultChannel] }

    /// The pack in force: new cases start under it.
    public var pack: RulePack { planner.pack }

    /// `snapshot` is the current pack's sources, saved in the store before the first write
    /// under it; `resolver` finds the rules of cases pinned to older versions. `notifiers` are the
    /// channels by name; `notifier`, if given, is one more channel named `default`.
    public init(
        pack: RulePack, store: any CaseStore, scorer: any Scorer = PointsScorer(), notifier: (any Notifier)? = nil,
        notifiers: [String: any Notifier] = [:], snapshot: PackSnapshot? = nil, resolver: (any PackResolver)? = nil,
        retryPolicy: RetryPolicy = .standard, wording: any NotificationWording = PlainNotificationWording()
    ) throws {
        self.planner = try Planner(pack: pack, scorer: scorer)
        self.store = store
        var channels = notifiers
        if let notifier { channels[Self.defaultChannel] = notifier }
        self.notifiers = channels
        self.retryPolicy = retryPolicy
        self.wording = wording
        self.shelf = RuleShelf(current: planner, snapshot: snapshot, resolver: resolver)
    }

    /// An engine over a planner already built, with no channel: a replay builds one per case and pack, and
    /// building the planner (its calendar) each time would cost more than some replays.
    init(planner: Planner, store: any CaseStore) {
        self.planner = planner
        self.store = store
        notifiers = [:]
        wording = PlainNotificationWording()
        shelf = RuleShelf(current: planner, snapshot: nil, resolver: nil)
    }

    /// The planner of the rules a case runs under (a case keeps the rules it started with).
    public func planner(for state: CaseState) async throws -> Planner {
        try await shelf.planner(version: state.packVersion, caseNumber: state.number)
    }

    /// The planner for a transition: the case's own rules, or the current ones when the
    /// current pack says this transition adopts them.
    func planner(for state: CaseState, transition: String) async throws -> Planner {
        if state.packVersion != pack.version, pack.transition(transition)?.adoptCurrentRules == true {
            return planner
        }
        return try await planner(for: state)
    }

    // MARK: Reading

    /// A case by number (`YC-2026-000001`) or numeric id.
    public func find(_ ref: String) async throws -> CaseState {
        var id = try await store.caseID(number: ref)
        if id == nil, let n = Int64(ref), try await store.summary(caseID: n) != nil { id = n }
        guard let id else {
            throw KesuError(.notFound, "no case '\(ref)'; give a case number such as \(pack.info.caseNumberPrefix)-2026-000001",
                            field: "case", value: ref, suggestion: .listCases)
        }
        return try await state(of: id)
    }

    public func state(of id: Int64) async throws -> CaseState {
        let events = try await store.events(caseID: id)
        guard !events.isEmpty else { throw KesuError(.notFound, "no case with id \(id)") }
        return CaseState(events: events)
    }

    public func history(_ ref: String) async throws -> (CaseState, [Event]) {
        let s = try await find(ref)
        return (s, try await store.events(caseID: s.id))
    }

    // MARK: Commands

    public struct IntakeResult: Sendable {
        public var state: CaseState
        public var proposedCategory: String?
        public var routingRule: String?
        /// A retry with an idempotency key already used: this is the case the first call made.
        public var replayed: Bool = false
    }

    /// Registers a case. With `idempotencyKey`, a retry (a client that got no answer) returns the
    /// case the first call created instead of a second one; the same key with other fields is refused.
    public func intake(fields: [String: String], by actor: String, at now: Date, idempotencyKey: String? = nil) async throws -> IntakeResult {
        let plan = try planner.planIntake(fields: fields, by: actor, at: now)
        try await shelf.ensureSaved(in: store, at: now)
        let year = planner.calendar.localDate(of: now).year
        let planner = self.planner
        let engine = self
        let build: @Sendable (Int64, String) throws -> NewCase = { id, number in
            let events = Self.numbered(plan.events, id: id, number: number)
            var summary = planner.summary(of: CaseState(events: events), lookupKey: store.lookupKey)
            summary.id = id
            summary.number = number
            // No channel, no outbox: the notifications' texts are not worth writing (a replay commits thousands of cases).
            let outbox = engine.notifiers.isEmpty ? []
                : engine.outboxEntries(engine.notifications(for: events, after: CaseState(), number: number, at: now), caseID: id)
                    + engine.eventEntries(events, after: CaseState(), caseID: id, at: now)
            return NewCase(events: events, summary: summary, outbox: outbox,
                           facts: ReportFact.derive(events, after: CaseState(), pack: planner.pack))
        }
        if let key = idempotencyKey {
            let fingerprint = Self.fingerprint(actor: actor, fields: fields)
            let result: (summary: CaseSummary, created: Bool)
            do {
                result = try await store.create(numbering: pack.info.caseNumbering, year: year, idempotencyKey: key,
                                                fingerprint: fingerprint, build: build)
            } catch let StoreError.idempotencyMismatch(key, id) {
                let number = try await store.summary(caseID: id)?.number ?? "#\(id)"
                throw KesuError(.idempotencyMismatch, "idempotency key '\(key)' already registered case \(number) with other fields; use a new key for a new complaint",
                                value: number)
            }
            if !result.created {
                let state = try await self.state(of: result.summary.id)
                return IntakeResult(state: state, proposedCategory: plan.proposedCategory, routingRule: state.routingRule, replayed: true)
            }
            let state = CaseState(events: Self.numbered(plan.events, id: result.summary.id, number: result.summary.number))
            return IntakeResult(state: state, proposedCategory: plan.proposedCategory, routingRule: state.routingRule)
        }
        let summary = try await store.create(numbering: pack.info.caseNumbering, year: year, build: build)
        // The same events the store wrote, folded here rather than read back.
        let state = CaseState(events: Self.numbered(plan.events, id: summary.id, number: summary.number))
        return IntakeResult(state: state, proposedCategory: plan.proposedCategory, routingRule: state.routingRule)
    }

    /// What an intake asked for (who, which fields), as a short stable text: FNV-1a over a canonical form.
    static func fingerprint(actor: String, fields: [String: String]) -> String {
        let canonical = ([actor] + fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: "\u{1F}")
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in canonical.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return String(hash, radix: 16)
    }

    /// A new case's planned events with the id and number the store gave it.
    static func numbered(_ planned: [Event], id: Int64, number: String) -> [Event] {
        planned.enumerated().map { i, e in
            var e = e
            e.caseID = id
            e.seq = i + 1
            if case let .intake(_, state, fields) = e.body { e.body = .intake(number: number, state: state, fields: fields) }
            return e
        }
    }

    /// Takes a transition. `expectedVersion`, when given, refuses the command if the case
    /// changed since the caller read it.
    @discardableResult
    public func act(
        _ ref: String, transition: String, fields: [String: String] = [:], by actor: String, at now: Date,
        expectedVersion: Int? = nil
    ) async throws -> CaseState {
        let current = try await find(ref)
        try Self.check(expectedVersion, against: current)
        let rules = try await planner(for: current, transition: transition)
        let events = try rules.planTransition(transition, fields: fields, on: current, by: actor, at: now)
        return try await commit(events, to: current, under: rules)
    }

    @discardableResult
    public func extend(
        _ ref: String, clock: String, by length: ClockLength, reason: String, approver: String, at now: Date,
        expectedVersion: Int? = nil
    ) async throws -> CaseState {
        let current = try await find(ref)
        try Self.check(expectedVersion, against: current)
        let rules = try await planner(for: current)
        let events = try rules.planExtension(clockID: clock, length: length, reason: reason, on: current, by: approver, at: now)
        return try await commit(events, to: current, under: rules)
    }

    /// Refuses a command based on a version the case has moved past.
    static func check(_ expectedVersion: Int?, against current: CaseState) throws {
        if let expectedVersion, expectedVersion != current.version {
            throw KesuError(.conflict, "case \(current.number) is at version \(current.version), not \(expectedVersion): someone changed it; read it again")
        }
    }

    func commit(_ planned: [Event], to current: CaseState, under rules: Planner) async throws -> CaseState {
        // Numbered as the store will number them, so the report facts name their events.
        let events = planned.enumerated().map { i, e in
            var e = e
            e.caseID = current.id
            e.seq = current.version + i + 1
            return e
        }
        var next = current
        for e in events { next.apply(e) }
        if rules.pack.version == pack.version { try await shelf.ensureSaved(in: store, at: events.first?.at ?? current.updatedAt) }
        do {
            let at = events.last?.at ?? current.updatedAt
            let outbox = notifiers.isEmpty ? []
                : outboxEntries(notifications(for: events, after: current, number: current.number, at: at, rules: rules.pack), caseID: current.id)
                    + eventEntries(events, after: current, caseID: current.id, at: at, rules: rules.pack)
            try await store.append(caseID: current.id, expectedVersion: current.version, events: events,
                                   summary: rules.summary(of: next, lookupKey: store.lookupKey), outbox: outbox,
                                   facts: ReportFact.derive(events, after: current, pack: rules.pack))
        } catch let StoreError.conflict(_, expected, actual) {
            throw KesuError(.conflict, "case \(current.number) changed meanwhile (version \(expected) → \(actual)); nothing was written, try again")
        }
        return next
    }

    // MARK: Sweep

    public struct SweepReport: Sendable, Codable, Equatable {
        public struct Fired: Sendable, Codable, Equatable {
            public var caseNumber: String
            public var type: String
            public var ruleID: String?
            public var recipients: [String]
            public var violation: String?
            public var dueAt: Date?
        }
        /// A case the sweep could not handle. The sweep went on with the others and moved this
        /// one's wake-up to `retryAt`, so it does not fill the next batches.
        public struct Skipped: Sendable, Codable, Equatable {
            public enum Code: String, Sendable, Codable {
                /// The case runs under a pack version this store or process cannot provide.
                case rulesUnavailable = "rules_unavailable"
                /// The case kept changing under the sweep (a version conflict on every attempt).
                case conflict
                /// Planning failed, e.g. a scorer plugin that is down.
                case failed
            }
            public var caseNumber: String
            public var code: Code
            public var reason: String
            /// When the sweep looks at the case again; nil if its wake-up could not be moved.
            public var retryAt: Date?
        }
        public var at: Date
        public var casesExamined: Int = 0
        public var fired: [Fired] = []
        public var skipped: [Skipped] = []
        /// The skipped cases as lines a person reads (one per entry of `skipped`).
        public var problems: [String] = []
    }

    /// Fires every reminder, escalation and violation due by `now`, exactly once each however
    /// often it runs. Cases changed concurrently are re-read and retried. A case that cannot be
    /// handled (its rules are not held, its scorer fails, it keeps conflicting) is skipped with its
    /// reason and its wake-up moved `sweepRetryInterval` on: one bad case never stops the others.
    public func sweep(at now: Date, batch: Int = 500) async throws -> SweepReport {
        var report = SweepReport(at: now)
        var seen = Set<Int64>()
        // Cases seen whose wake-up could not be moved past `now`: they still come back from the
        // store, so each query asks for that many more to reach the cases behind them.
        var stuck = 0
        while true {
            let ids = try await store.dueForSweep(at: now, limit: batch + stuck).filter { !seen.contains($0) }
            if ids.isEmpty { break }
            for id in ids {
                seen.insert(id)
                report.casesExamined += 1
                do {
                    if try await !sweepCase(id, at: now, into: &report) { stuck += 1 }
                } catch {
                    let skipped = await skip(id, error, at: now)
                    if skipped.retryAt == nil { stuck += 1 }
                    report.skipped.append(skipped)
                    report.problems.append("case \(skipped.caseNumber) skipped (\(skipped.code.rawValue)): \(skipped.reason)"
                        + (skipped.retryAt.map { "; retried after \(ISO8601.format($0, in: planner.calendar.timeZone))" } ?? ""))
                }
            }
        }
        return report
    }

    /// Sweeps one case; false if its stale wake-up could not be refreshed (it stays due).
    func sweepCase(_ id: Int64, at now: Date, into report: inout SweepReport) async throws -> Bool {
        for attempt in 0..<3 {
            let current = try await state(of: id)
            let rules = try await planner(for: current)
            let events = try rules.planSweep(on: current, at: now)
            if events.isEmpty {
                // Nothing to fire: the stored wake-up was stale (written under other rules);
                // refresh it so the sweep does not come back. A concurrent writer refreshes it too.
                do {
                    try await store.append(caseID: id, expectedVersion: current.version, events: [], summary: rules.summary(of: current, lookupKey: store.lookupKey))
                } catch StoreError.conflict {
                    return false
                }
                return true
            }
            do {
                _ = try await commit(events, to: current, under: rules)
                report.fired += events.compactMap { fired($0, number: current.number) }
                return true
            } catch let e as KesuError where e.code == .conflict && attempt < 2 {
                continue
            }
        }
        return true
    }

    /// Reports a case the sweep could not handle and moves its wake-up on, so the next sweeps
    /// reach the other cases and this one is tried again later.
    func skip(_ id: Int64, _ error: any Error, at now: Date) async -> SweepReport.Skipped {
        let code: SweepReport.Skipped.Code = switch (error as? KesuError)?.code {
        case .rulesUnavailable?: .rulesUnavailable
        case .conflict?: .conflict
        default: .failed
        }
        let summary = try? await store.summary(caseID: id)
        let number = summary?.number ?? "#\(id)"
        let retryAt = now.addingTimeInterval(sweepRetryInterval)
        var moved: Date?
        if var s = summary {
            s.nextWakeup = retryAt
            // A failed move (the case changed meanwhile) leaves the wake-up the writer computed.
            if (try? await store.append(caseID: id, expectedVersion: s.version, events: [], summary: s)) != nil { moved = retryAt }
        }
        let reason = code == .failed ? "its reminders and violations could not be planned: \(Self.describe(error))" : Self.describe(error)
        return .init(caseNumber: number, code: code, reason: reason, retryAt: moved)
    }

    func fired(_ e: Event, number: String) -> SweepReport.Fired? {
        switch e.body {
        case let .reminder(_, _, due, to), let .escalation(_, _, due, to):
            return .init(caseNumber: number, type: e.type, ruleID: e.ruleID, recipients: to, violation: nil, dueAt: due)
        case let .violation(id, _, unit, person, at):
            return .init(caseNumber: number, type: e.type, ruleID: e.ruleID, recipients: [unit] + (person.map { [$0] } ?? []), violation: id, dueAt: at)
        default:
            return nil
        }
    }

    /// The notifications the events call for (reminders, escalations, violations), dated `now`.
    /// `before` is the case as it was before the events (an empty state for a new case): a
    /// notification gives its clock's real due time at that point, after extensions and pauses.
    /// `rules` is the pack the case runs under (names in the text); the pack in force by default.
    public func notifications(for events: [Event], after before: CaseState, number: String, at now: Date,
                              rules: RulePack? = nil) -> [Notification] {
        let pack = rules ?? self.pack
        var state = before
        var out: [Notification] = []
        for e in events {
            state.apply(e)
            var n: Notification
            switch e.body {
            case let .reminder(run, step, _, to), let .escalation(run, step, _, to):
                let clock = state.clocks[run.clock]
                let unit = pack.clock(run.clock).flatMap { planner.ownerUnit($0, state: state) }
                n = Notification(kind: e.type == "reminder" ? .reminder : .escalation, caseNumber: number, recipients: to, at: now,
                                 clock: run.clock, run: run.run, rule: e.ruleID, step: step + 1, dueAt: clock?.dueAt, unit: unit)
            case let .violation(id, run, unit, person, occurredAt):
                let due = run.flatMap { state.clocks[$0.clock]?.run == $0 ? state.clocks[$0.clock]?.dueAt : nil } ?? occurredAt
                n = Notification(kind: .violation, caseNumber: number, recipients: [person].compactMap { $0 }, at: now,
                                 clock: run?.clock, run: run?.run, rule: e.ruleID, violation: id, dueAt: due, unit: unit, person: person)
            case let .extensionRequested(run, _, _):
                // The approvers in scope hear of it; the requester (even if an approver too) does not.
                let to = Planner.extensionApprovers(run.clock, pack: pack, handlingUnit: state.handlingUnit, excluding: e.actor)
                if to.isEmpty { continue }
                n = Notification(kind: .extensionRequest, caseNumber: number, recipients: to, at: now, clock: run.clock, run: run.run,
                                 rule: e.ruleID, dueAt: state.clocks[run.clock]?.dueAt, unit: state.handlingUnit, person: e.actor)
            default:
                continue
            }
            n.text = wording.text(for: n, pack: pack, zone: planner.calendar.timeZone)
            out.append(n)
        }
        return out
    }

    /// One outbox entry per notification and configured channel (channels in name order). A channel named in
    /// `subscriptions` receives what its subscriptions select and nothing else (`case.reminded` and the like are
    /// events too).
    public func outboxEntries(_ notifications: [Notification], caseID: Int64 = 0) -> [OutboxEntry] {
        let subscribed = Set(subscriptions.map(\.channel))
        let channels = notifiers.keys.sorted().filter { !subscribed.contains($0) }
        return notifications.flatMap { n in channels.map { OutboxEntry(caseID: caseID, channel: $0, notification: n) } }
    }

    // MARK: Delivery

    /// Delivers the outbox items due at `now` (at most `limit`), each on its channel: delivered
    /// ones are marked so; a failure counts an attempt and waits (`retryPolicy`: 1 min, 2, 4, …
    /// at most 1 h) or, after the last attempt allowed, leaves the item failed (kept; retryable).
    /// An item whose channel is no longer configured stays pending, retried hourly, with an
    /// error saying so. Run once: a server loops it.
    ///
    /// A case's items on one channel go in order: the store gives an item only once the earlier ones of its case
    /// and channel are done, so the run asks again after each batch (a case's three events are three batches),
    /// until nothing is due or `limit` items were tried.
    public func deliverOutbox(at now: Date, limit: Int = 500) async throws -> DeliveryReport {
        var report = DeliveryReport(at: now)
        var tried = Set<Int64>()
        while report.attempts.count < limit {
            // An item tried in this run is not tried again in it, even when its retry is due at once.
            let batch = try await store.dueOutbox(at: now, limit: limit - report.attempts.count + tried.count)
                .filter { !tried.contains($0.id) }.prefix(limit - report.attempts.count)
            if batch.isEmpty { break }
            tried.formUnion(batch.map(\.id))
            try await deliver(Array(batch), at: now, into: &report)
        }
        return report
    }

    private func deliver(_ batch: [OutboxItem], at now: Date, into report: inout DeliveryReport) async throws {
        for item in batch {
            guard let notifier = notifiers[item.channel] else {
                let next = now.addingTimeInterval(retryPolicy.cap)
                let known = notifiers.keys.sorted().joined(separator: ", ")
                let error = "no notifier '\(item.channel)' is configured (configured: \(known.isEmpty ? "none" : known)); kept pending"
                try await store.markFailed(id: item.id, error: error, nextAttemptAt: next, giveUp: false)
                report.attempts.append(.init(id: item.id, channel: item.channel, outcome: .unknownChannel, error: error, nextAttemptAt: next))
                continue
            }
            do {
                var notification = item.notification
                notification.id = item.id
                try await notifier.deliver(notification)
                try await store.markDelivered(id: item.id, at: now)
                report.attempts.append(.init(id: item.id, channel: item.channel, outcome: .delivered, error: nil, nextAttemptAt: nil))
            } catch {
                let attempts = item.attempts + 1
                let giveUp = attempts >= retryPolicy.maxAttempts
                let next = now.addingTimeInterval(retryPolicy.delay(afterAttempts: attempts))
                let message = Self.describe(error)
                try await store.markFailed(id: item.id, error: message, nextAttemptAt: next, giveUp: giveUp)
                report.attempts.append(.init(id: item.id, channel: item.channel, outcome: giveUp ? .failed : .retrying,
                                             error: message, nextAttemptAt: giveUp ? nil : next))
            }
        }
    }

    /// An error as one line for a person: a KesuError's message, else its description.
    public static func describe(_ error: any Error) -> String {
        if let e = error as? KesuError { return e.message }
        return "\(error)"
    }

}

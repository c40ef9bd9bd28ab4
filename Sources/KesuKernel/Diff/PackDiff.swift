import Foundation

/// What changes in effect between two packs, section by section: items added, removed,
/// changed (which properties, old → new) and routes moved (order decides routing).
/// Source locations are not part of an item's meaning and are ignored.
public struct PackDiff: Sendable, Codable, Equatable {
    public struct Change: Sendable, Codable, Equatable {
        public enum Kind: String, Sendable, Codable { case added, removed, changed, moved }
        public var section: String
        public var id: String
        public var kind: Kind
        /// For `changed`: each property that differs, `name: old → new`; for `moved`: the positions.
        public var details: [String]
    }

    public var changes: [Change]
    public var isEmpty: Bool { changes.isEmpty }

    public init(old: RulePack, new: RulePack) {
        var out: [Change] = []
        func section<T>(_ name: String, _ a: [T], _ b: [T], id: (T) -> String, ordered: Bool = false) {
            let oldIDs = a.map(id), newIDs = b.map(id)
            for item in a where !newIDs.contains(id(item)) { out.append(Change(section: name, id: id(item), kind: .removed, details: [])) }
            for item in b {
                guard let before = a.first(where: { id($0) == id(item) }) else {
                    out.append(Change(section: name, id: id(item), kind: .added, details: [Canonical.dump(item)]))
                    continue
                }
                let details = Canonical.differences(before, item)
                if !details.isEmpty { out.append(Change(section: name, id: id(item), kind: .changed, details: details)) }
            }
            if ordered {
                // Order among the items both packs have: a route moved above another changes who wins.
                let common = oldIDs.filter(newIDs.contains)
                let newOrder = newIDs.filter(oldIDs.contains)
                for (i, rid) in newOrder.enumerated() where common.firstIndex(of: rid) != i {
                    out.append(Change(section: name, id: rid, kind: .moved,
                                      details: ["position \(common.firstIndex(of: rid)! + 1) → \(i + 1) among the rules both packs have"]))
                }
            }
        }
        func one<T>(_ name: String, _ a: T, _ b: T) {
            let details = Canonical.differences(a, b)
            if !details.isEmpty { out.append(Change(section: name, id: name, kind: .changed, details: details)) }
        }
        one("pack", old.info, new.info)
        section("calendar.holidays", old.calendar.holidays, new.calendar.holidays, id: { "\($0.date) \($0.name)" })
        section("calendar.workdays", old.calendar.workdays, new.calendar.workdays, id: { "\($0.date) \($0.name)" })
        one("calendar", Calendar(old.calendar), Calendar(new.calendar))
        section("roles", old.roles, new.roles, id: \.id)
        section("units", old.units, new.units, id: \.id)
        section("people", old.people, new.people, id: \.id)
        section("kinds", old.kinds, new.kinds, id: \.id)
        section("levels", old.levels, new.levels, id: \.id)
        section("categories", old.categories, new.categories, id: \.id)
        section("complainant_types", old.complainantTypes, new.complainantTypes, id: \.id)
        section("channels", old.channels, new.channels, id: \.id)
        section("regions", old.regions, new.regions, id: \.id)
        section("fields", old.fields, new.fields, id: \.id)
        section("routing", old.routing, new.routing, id: \.id, ordered: true)
        section("procedure.states", old.procedure.states, new.procedure.states, id: \.id)
        one("procedure.intake", old.procedure.intake, new.procedure.intake)
        section("procedure.transitions", old.procedure.transitions, new.procedure.transitions, id: \.id)
        section("clocks", old.clocks, new.clocks, id: \.id)
        section("ladders", old.ladders, new.ladders, id: \.id)
        one("scoring.baseline", old.scoring.baseline, new.scoring.baseline)
        section("scoring.violations", old.scoring.violations, new.scoring.violations, id: \.id)
        section("scoring.outcomes", old.scoring.outcomes, new.scoring.outcomes, id: \.id)
        section("scoring.rules", old.scoring.rules, new.scoring.rules, id: \.id)
        section("scoring.penalties", old.scoring.penalties, new.scoring.penalties, id: \.id)
        section("scoring.thresholds", old.scoring.thresholds, new.scoring.thresholds, id: \.id)
        one("scoring.penalty_procedure", old.scoring.penaltyProcedure, new.scoring.penaltyProcedure)
        changes = out
    }

    /// The calendar's settings other than its dated days (compared as sections above).
    struct Calendar {
        var timeZone: String
        var businessHours: [MinuteRange]
        var weekend: [Int]
        init(_ c: CalendarRules) { timeZone = c.timeZone; businessHours = c.businessHours; weekend = c.weekend.sorted() }
    }
}

/// A stable text form of a rule-model value, built by reflection so that every property of
/// every section is compared without a hand-written comparer per type. `location` properties
/// (where a value was written) are skipped, and so are those of one key (`violationLocation`):
/// moving a rule to another file changes nothing.
enum Canonical {
    static func isLocation(_ label: String) -> Bool { label == "location" || label.hasSuffix("Location") }

    static func dump(_ value: Any) -> String {
        let m = Mirror(reflecting: value)
        switch m.displayStyle {
        case .optional:
            return m.children.first.map { dump($0.value) } ?? "none"
        case .struct, .class:
            if m.children.isEmpty { return "\(value)" }
            if let s = value as? any CustomStringConvertible, !(value is any Collection) { return s.description }
            return "{" + m.children.compactMap { c in
                guard let label = c.label, !isLocation(label) else { return nil }
                return "\(label): \(dump(c.value))"
            }.joined(separator: ", ") + "}"
        case .enum:
            if let s = value as? any CustomStringConvertible { return s.description }
            guard let payload = m.children.first else { return "\(value)" }
            return "\(payload.label ?? "")(\(dump(payload.value)))"
        case .tuple:
            return "(" + m.children.map { ($0.label.map { "\($0): " } ?? "") + dump($0.value) }.joined(separator: ", ") + ")"
        case .collection:
            return "[" + m.children.map { dump($0.value) }.joined(separator: ", ") + "]"
        case .set:
            return "[" + m.children.map { dump($0.value) }.sorted().joined(separator: ", ") + "]"
        case .dictionary:
            return "[" + m.children.map { dump($0.value) }.sorted().joined(separator: ", ") + "]"
        default:
            return "\(value)"
        }
    }

    /// `property: old → new` for each top-level property that differs.
    static func differences(_ a: Any, _ b: Any) -> [String] {
        let ma = Mirror(reflecting: a), mb = Mirror(reflecting: b)
        guard (ma.displayStyle == .struct || ma.displayStyle == .class), ma.children.count == mb.children.count else {
            let (x, y) = (dump(a), dump(b))
            return x == y ? [] : ["\(x) → \(y)"]
        }
        var out: [String] = []
        for (ca, cb) in zip(ma.children, mb.children) {
            guard let label = ca.label, !isLocation(label) else { continue }
            let (x, y) = (dump(ca.value), dump(cb.value))
            if x != y { out.append("\(label): \(x) → \(y)") }
        }
        return out
    }
}

/// Conditions as a pack writes them (`region: {one_of: [county_b]}`), for diffs and explanations.
extension FieldCondition: CustomStringConvertible {
    public var description: String {
        switch test {
        case let .equals(v): "\(field): \(v)"
        case let .oneOf(vs): "\(field): {one_of: [\(vs.joined(separator: ", "))]}"
        case let .notOneOf(vs): "\(field): {not_one_of: [\(vs.joined(separator: ", "))]}"
        case let .missing(m): "\(field): {missing: \(m)}"
        }
    }
}

import Foundation

/// The case fields every pack has. Packs add their own in `fields:`.
public enum CaseField {
    public enum Kind: Sendable, Equatable {
        /// Free text.
        case text
        /// One of the pack's kinds, levels, categories, complainant types, channels, regions or units.
        case kind, level, category, complainantType, channel, region, unit
        /// A person id from the pack.
        case person
        case datetime
    }

    /// Built-in field ids and what they hold.
    public static let builtIn: [(id: String, kind: Kind)] = [
        ("kind", .kind), ("category", .category), ("level", .level),
        ("complainant_type", .complainantType), ("channel", .channel), ("region", .region),
        ("subject", .text), ("description", .text),
        ("complainant_name", .text), ("complainant_phone", .text),
        ("respondent", .text), ("respondent_person", .person),
        // Transfers (转派) by hand: a center role sets the handling unit directly.
        ("handling_unit", .unit), ("assignee", .person),
    ]

    public static let builtInIDs: Set<String> = Set(builtIn.map(\.id))

    public static func kind(of id: String) -> Kind? { builtIn.first { $0.id == id }?.kind }
}

extension RulePack {
    /// Every field a condition, a requirement or a command may name.
    public var allFieldIDs: [String] { CaseField.builtIn.map(\.id) + fields.map(\.id) }

    public func state(_ id: String) -> StateDef? { procedure.states.first { $0.id == id } }
    public func transition(_ id: String) -> TransitionDef? { procedure.transitions.first { $0.id == id } }
    public func unit(_ id: String) -> UnitDef? { units.first { $0.id == id } }
    public func person(_ id: String) -> PersonDef? { people.first { $0.id == id } }
    public func role(_ id: String) -> RoleDef? { roles.first { $0.id == id } }
    public func clock(_ id: String) -> ClockDef? { clocks.first { $0.id == id } }
    public func ladder(_ id: String) -> LadderDef? { ladders.first { $0.id == id } }
    public var centerUnit: UnitDef? { units.first { $0.isCenter } }

    /// The ids a field's value must be one of, or nil for free text.
    public func allowedValues(of field: String) -> [String]? {
        if let kind = CaseField.kind(of: field) {
            switch kind {
            case .text, .datetime: return nil
            case .kind: return kinds.map(\.id)
            case .level: return levels.map(\.id)
            case .category: return categories.map(\.id)
            case .complainantType: return complainantTypes.map(\.id)
            case .channel: return channels.map(\.id)
            case .region: return regions.map(\.id)
            case .unit: return units.map(\.id)
            case .person: return people.map(\.id)
            }
        }
        guard let def = fields.first(where: { $0.id == field }) else { return nil }
        switch def.type {
        case .choice: return def.values.map(\.id)
        case .boolean: return ["yes", "no"]
        case .person: return people.map(\.id)
        default: return nil
        }
    }

    /// A person-readable label for a field value, when the pack gives one.
    public func label(field: String, value: String) -> String? {
        switch CaseField.kind(of: field) {
        case .kind?: return kinds.first { $0.id == value }?.name
        case .level?: return levels.first { $0.id == value }?.name
        case .category?: return categories.first { $0.id == value }?.name
        case .complainantType?: return complainantTypes.first { $0.id == value }?.name
        case .channel?: return channels.first { $0.id == value }?.name
        case .region?: return regions.first { $0.id == value }?.name
        case .unit?: return unit(value)?.name
        case .person?: return person(value)?.name
        default:
            guard let def = fields.first(where: { $0.id == field }) else { return nil }
            return def.type == .person ? person(value)?.name : def.values.first { $0.id == value }?.name
        }
    }
}

extension FieldCondition {
    /// Whether the condition holds on these field values.
    public func holds(on fields: [String: String]) -> Bool {
        let value = fields[field].flatMap { $0.isEmpty ? nil : $0 }
        switch test {
        case let .equals(v): return value == v
        case let .oneOf(vs): return value.map(vs.contains) ?? false
        case let .notOneOf(vs): return !(value.map(vs.contains) ?? false)
        case let .missing(m): return (value == nil) == m
        }
    }

    /// Why it failed, in words an administrator reads ("category is 'x', not one of [a, b]").
    public func whyNot(on fields: [String: String]) -> String {
        let value = fields[field].flatMap { $0.isEmpty ? nil : $0 }
        let shown = value.map { "'\($0)'" } ?? "missing"
        switch test {
        case let .equals(v): return "\(field) is \(shown), not '\(v)'"
        case let .oneOf(vs): return "\(field) is \(shown), not one of [\(vs.joined(separator: ", "))]"
        case let .notOneOf(vs): return "\(field) is \(shown), which is one of [\(vs.joined(separator: ", "))]"
        case let .missing(m): return m ? "\(field) is \(shown), expected missing" : "\(field) is missing"
        }
    }

    /// The values this condition names, for reference checks.
    public var values: [String] {
        switch test {
        case let .equals(v): [v]
        case let .oneOf(vs), let .notOneOf(vs): vs
        case .missing: []
        }
    }
}

extension Array where Element == FieldCondition {
    public func allHold(on fields: [String: String]) -> Bool { allSatisfy { $0.holds(on: fields) } }
}

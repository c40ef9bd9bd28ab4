/// A person of the pack as a viewer or actor: the person and the roles it holds.
public struct Principal: Sendable {
    public let person: PersonDef
    public let roles: [RoleDef]

    public init(person: PersonDef, roles: [RoleDef]) {
        self.person = person; self.roles = roles
    }

    /// The person with this id and its roles (roles the pack does not declare are left out); nil
    /// for an unknown person. The same as `pack.principal(personID)`.
    public init?(personID: String, in pack: RulePack) {
        guard let p = pack.person(personID) else { return nil }
        self.init(person: p, roles: p.roles.compactMap { pack.role($0) })
    }

    public var id: String { person.id }
    public var unit: String { person.unit }

    /// Every role is read-only (a person without roles only reads too): takes no transition.
    public var readOnly: Bool { roles.allSatisfy(\.readOnly) }

    /// Some role is scoped to every case.
    public var seesAllCases: Bool { roles.contains { $0.scope == .all } }

    /// Every permission some role grants.
    public var permissions: Set<Permission> { roles.reduce(into: []) { $0.formUnion($1.permissions) } }

    public func has(_ p: Permission) -> Bool { roles.contains { $0.permissions.contains(p) } }

    /// A unit-scoped principal sees the cases its unit handles now; scope-all sees every case.
    public func canSee(handlingUnit: String?) -> Bool {
        if seesAllCases { return true }
        guard let handlingUnit else { return false }
        return roles.contains { $0.scope == .handlingUnit } && handlingUnit == unit
    }
}

extension RulePack {
    /// The person with this id and its roles (roles the pack does not declare are left out); nil
    /// for an unknown person.
    public func principal(_ personID: String) -> Principal? { Principal(personID: personID, in: self) }
}

// TEMPORARY: stands in for KesuKernel/Access (being written on branch `acc`) until it merges.
import Foundation
import KesuKernel

public enum Permission: String, Sendable, CaseIterable, Codable, Hashable { case personalData = "personal_data", reports, rulesAdmin = "rules_admin" }
public struct Principal: Sendable {
    public let person: PersonDef
    public let roles: [RoleDef]
    public var id: String { person.id }
    public var unit: String { person.unit }
    public var readOnly: Bool { roles.allSatisfy(\.readOnly) }
    public var seesAllCases: Bool { roles.contains { $0.scope == .all } }
    public func has(_ p: Permission) -> Bool { p != .personalData ? !readOnly || p == .reports : false }
    public func canSee(handlingUnit: String?) -> Bool { seesAllCases || handlingUnit == unit }
}
extension RulePack {
    public func principal(_ personID: String) -> Principal? {
        guard let p = person(personID) else { return nil }
        return Principal(person: p, roles: roles.filter { p.roles.contains($0.id) })
    }
}
public enum PersonalData {
    public static func maskName(_ s: String) -> String { s.isEmpty ? s : String(s.prefix(1)) + String(repeating: "*", count: s.count - 1) }
    public static func maskPhone(_ s: String) -> String { s.count < 7 ? String(repeating: "*", count: s.count) : String(s.prefix(3)) + "****" + String(s.suffix(4)) }
    public static func personalFields(in pack: RulePack) -> Set<String> { ["complainant_name", "complainant_phone"] }
    public static func redact(_ fields: [String: String], pack: RulePack) -> [String: String] {
        var f = fields
        if let n = f["complainant_name"] { f["complainant_name"] = maskName(n) }
        if let n = f["complainant_phone"] { f["complainant_phone"] = maskPhone(n) }
        return f
    }
}
extension CaseState {
    public func redacted(for viewer: Principal, pack: RulePack) -> CaseState {
        if viewer.has(.personalData) { return self }
        var s = self; s.fields = PersonalData.redact(fields, pack: pack); return s
    }
}
extension Event {
    public func redacted(personalFields: Set<String>, pack: RulePack) -> Event {
        var e = self
        switch body {
        case let .intake(n, st, f): e.body = .intake(number: n, state: st, fields: PersonalData.redact(f, pack: pack))
        case let .transition(id, from, to, f): e.body = .transition(id: id, from: from, to: to, fields: PersonalData.redact(f, pack: pack))
        default: break
        }
        return e
    }
}
public struct Account: Sendable, Codable, Equatable { public var id: String; public var person: String; public var label: String?; public var createdAt: Date; public var revokedAt: Date? }
public struct Accounts: Sendable {
    public static let stream = "accounts"
    let store: any CaseStore
    public init(store: any CaseStore) { self.store = store }
    public func add(person: String, label: String?, pack: RulePack, by actor: String, at: Date) async throws -> (account: Account, token: String) {
        (Account(id: "u-\(person)", person: person, label: label, createdAt: at, revokedAt: nil), "kesu_\(person)")
    }
    public func revoke(id: String, by actor: String, at: Date) async throws {}
    public func list() async throws -> [Account] { [] }
    public func authenticate(token: String) async throws -> Account? {
        token.hasPrefix("kesu_") ? Account(id: "u", person: String(token.dropFirst(5)), label: nil, createdAt: Date(), revokedAt: nil) : nil
    }
}

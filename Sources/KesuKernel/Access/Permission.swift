/// What a role may see or do beyond taking transitions on cases, granted in the pack
/// (`roles: - {id: …, permissions: [personal_data, reports]}`).
public enum Permission: String, Sendable, CaseIterable, Codable, Hashable {
    /// Sees the complainant's name, phone and other personal fields unmasked (保密: the
    /// procedure protects the complainant's identity and contact data).
    case personalData = "personal_data"
    /// Reads scores, penalties and the quarterly reports.
    case reports
    /// Validates and reloads the rules over the API.
    case rulesAdmin = "rules_admin"
}

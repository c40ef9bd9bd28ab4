import Foundation
import KesuKernel

extension JSONValue {
    /// A configuration value (kesu.yaml) as plugin options.
    public init(_ value: ConfigValue) {
        switch value {
        case let .string(s): self = .string(s)
        case let .number(n): self = .number(n)
        case let .bool(b): self = .bool(b)
        case let .list(l): self = .array(l.map(JSONValue.init))
        case let .map(m): self = .object(m.mapValues(JSONValue.init))
        }
    }

    /// Configuration options as plugin options.
    public static func options(_ config: [String: ConfigValue]) -> [String: JSONValue] { config.mapValues(JSONValue.init) }
}

import Foundation

/// An option a driver understands: its name, the kind of value, whether it must be given.
public struct DriverOption: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case string, integer, number, bool, list, map
        var expected: String {
            switch self {
            case .string: "a string"
            case .integer: "a whole number"
            case .number: "a number"
            case .bool: "true or false"
            case .list: "a list"
            case .map: "a mapping"
            }
        }
    }
    public var name: String
    public var kind: Kind
    public var required: Bool
    /// One line for `kesu config show` and the docs.
    public var help: String

    public init(_ name: String, _ kind: Kind = .string, required: Bool = false, help: String = "") {
        self.name = name; self.kind = kind; self.required = required; self.help = help
    }

    public static func required(_ name: String, _ kind: Kind = .string, help: String = "") -> DriverOption {
        DriverOption(name, kind, required: true, help: help)
    }

    /// Whether `value` is acceptable for this kind (scalars are lenient: `"2000"` is a number).
    func accepts(_ value: ConfigValue) -> Bool {
        switch (kind, value) {
        case (.string, .string), (.string, .number), (.string, .bool): true
        case (.number, .number): true
        case let (.number, .string(s)): Double(s)?.isFinite == true
        case let (.integer, .number(n)): n == n.rounded() && n.isFinite
        case let (.integer, .string(s)): Int(s) != nil
        case (.bool, .bool): true
        case let (.bool, .string(s)): ["true", "false", "yes", "no", "on", "off"].contains(s.lowercased())
        case (.list, .list), (.map, .map): true
        default: false
        }
    }
}

/// The factories of one extension point (store, notifier, scorer), each under a driver name.
///
/// ```swift
/// var notifiers = DriverRegistry<any Notifier>("notifier")
/// notifiers.register("webhook", options: [.required("url"), DriverOption("retries", .integer)]) { config in
///     WebhookNotifier(url: config.string("url")!, retries: config.int("retries") ?? 3)
/// }
/// let n = try notifiers.make(config)   // ConfigurationError with every problem, at its location
/// ```
public struct DriverRegistry<Product>: Sendable {
    public typealias Factory = @Sendable (DriverConfig) throws -> Product

    public struct Driver: Sendable {
        public var name: String
        public var options: [DriverOption]
        public var summary: String
        let factory: Factory
    }

    /// What the extension point is called in messages: `storage`, `notifier`, `scoring`.
    public let point: String
    public private(set) var drivers: [String: Driver] = [:]

    public init(_ point: String) { self.point = point }

    /// Known driver names, sorted.
    public var names: [String] { drivers.keys.sorted() }

    /// Registers (or replaces) the factory for `name`. `options` are every option the driver
    /// reads; any other key is refused before the factory runs.
    public mutating func register(
        _ name: String, options: [DriverOption] = [], summary: String = "", _ factory: @escaping Factory
    ) {
        drivers[name] = Driver(name: name, options: options, summary: summary, factory: factory)
    }

    public func driver(_ name: String) -> Driver? { drivers[name] }

    /// Every problem with `config` for this registry: an unknown driver, unknown options, options
    /// of the wrong type, required options left out. Empty when the factory may run.
    public func check(_ config: DriverConfig) -> [Diagnostic] {
        guard let driver = drivers[config.driver] else {
            return [.error(config.driverLocation,
                           "unknown \(point) driver '\(config.driver)'\(inWhat(config))"
                               + hint(config.driver, in: names, noun: "drivers"))]
        }
        var out: [Diagnostic] = []
        let known = driver.options.map(\.name)
        for key in config.options.keys.sorted() {
            guard let option = driver.options.first(where: { $0.name == key }) else {
                out.append(.error(config.keyLocation(key),
                                  "unknown option '\(key)' for \(point) driver '\(driver.name)'\(inWhat(config))"
                                      + hint(key, in: known, noun: "options")))
                continue
            }
            if let value = config.options[key], !option.accepts(value) {
                out.append(.error(config.valueLocation(key),
                                  "expected \(option.kind.expected) for '\(key)' of \(config.what), found \(value.kindName)"))
            }
        }
        for option in driver.options where option.required && config.options[option.name] == nil {
            out.append(.error(config.driverLocation,
                              "\(point) driver '\(driver.name)'\(inWhat(config)) needs option '\(option.name)'"))
        }
        return out
    }

    /// Checks `config`, then runs the driver's factory.
    public func make(_ config: DriverConfig) throws -> Product {
        let problems = check(config)
        if !problems.isEmpty { throw ConfigurationError(problems) }
        return try drivers[config.driver]!.factory(config)
    }

    private func inWhat(_ c: DriverConfig) -> String { c.what == point ? "" : " in \(c.what)" }

    /// "; did you mean 'x'? known drivers: a, b" (the did-you-mean only when one is close).
    private func hint(_ input: String, in names: [String], noun: String) -> String {
        if names.isEmpty { return noun == "options" ? "; this driver takes no options" : "; no \(noun) are registered" }
        let close = Suggest.closest(to: input, in: names).map { "; did you mean '\($0)'?" } ?? ""
        return close + "\(close.isEmpty ? ";" : "") known \(noun): \(names.joined(separator: ", "))"
    }
}

/// The registries of the extension points a deployment chooses by configuration.
public struct DriverRegistries: Sendable {
    public var store = DriverRegistry<any CaseStore>("storage")
    public var notifier = DriverRegistry<any Notifier>("notifier")
    public var scorer = DriverRegistry<any Scorer>("scoring")
    public var source = DriverRegistry<any CaseSource>("source")
    public init() {}
}

import Foundation
import KesuKernel

/// A deployment's `kesu.yaml`: which rule pack, and which drivers for the store, the
/// notification channels and the scorer. Every part is optional; what is left out keeps
/// today's behaviour (SQLite at `kesu.db`, console notifications, the pack's points).
public struct DeploymentConfig: Sendable, Equatable {
    /// One notification channel: a name the rest of the system uses, and its driver.
    public struct Channel: Sendable, Equatable {
        public var name: String
        public var nameLocation: SourceLocation
        public var driver: DriverConfig
        public init(name: String, nameLocation: SourceLocation = .code(), driver: DriverConfig) {
            self.name = name; self.nameLocation = nameLocation; self.driver = driver
        }
    }

    /// A source of cases (`sources:`): a driver that brings items in, polled every `every` seconds, registered
    /// by `actor` with `fields` filling in what an item leaves out.
    public struct Source: Sendable, Equatable {
        public var name: String
        public var nameLocation: SourceLocation
        public var driver: DriverConfig
        public var every: Int
        public var actor: String
        public var actorLocation: SourceLocation
        public var fields: [String: String]
        public var limit: Int
        public init(name: String, nameLocation: SourceLocation = .code(), driver: DriverConfig, every: Int = 60, actor: String,
                    actorLocation: SourceLocation = .code(), fields: [String: String] = [:], limit: Int = 50) {
            self.name = name; self.nameLocation = nameLocation; self.driver = driver; self.every = every; self.actor = actor
            self.actorLocation = actorLocation; self.fields = fields; self.limit = limit
        }
    }

    /// The file read, or nil for the built-in defaults.
    public var file: String?
    /// The rule pack folder as written (relative to the file's folder), and resolved.
    public var rules: String?
    public var rulesLocation: SourceLocation?
    public var storage: DriverConfig?
    /// nil when the file says nothing about notifiers; `[]` when it turns them all off.
    public var notifiers: [Channel]?
    public var scoring: DriverConfig?
    /// Which case events go to which channel (docs/integrations.md).
    public var subscriptions: [Subscription] = []
    public var sources: [Source] = []

    public init(
        file: String? = nil, rules: String? = nil, rulesLocation: SourceLocation? = nil, storage: DriverConfig? = nil,
        notifiers: [Channel]? = nil, scoring: DriverConfig? = nil
    ) {
        self.file = file; self.rules = rules; self.rulesLocation = rulesLocation; self.storage = storage
        self.notifiers = notifiers; self.scoring = scoring
    }

    /// The folder relative paths are taken from.
    public var baseDirectory: String? {
        file.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
    }

    /// The rule pack folder, made absolute against the file's folder.
    public var rulesPath: String? { rules.map { DriverConfig.resolve($0, against: baseDirectory) } }

    /// Every problem the registries find with the chosen drivers and their options.
    public func check(with registries: DriverRegistries) -> [Diagnostic] {
        var out: [Diagnostic] = []
        if let storage { out += registries.store.check(storage) }
        for channel in notifiers ?? [] { out += registries.notifier.check(channel.driver) }
        if let scoring { out += registries.scorer.check(scoring) }
        for source in sources { out += registries.source.check(source.driver) }
        // A subscription names a channel of `notifiers` (the default channel when the file names none).
        let channels = (notifiers ?? [Channel(name: "console", driver: DriverConfig(driver: "console"))]).map(\.name)
        for s in subscriptions where !channels.contains(s.channel) {
            out.append(.error(s.location, "subscription to channel '\(s.channel)', which is not a notifier of this file"
                + (Suggest.closest(to: s.channel, in: channels).map { "; did you mean '\($0)'?" } ?? "")
                + (channels.isEmpty ? "; add it under 'notifiers:'" : "; notifiers: \(channels.joined(separator: ", "))")))
        }
        return out
    }

    /// The top-level keys of the file.
    public static let keys = ["rules", "storage", "notifiers", "scoring", "subscriptions", "sources"]
}

import Foundation
import KesuKernel

/// How `kesu serve` runs: where it listens, how big a body it takes, how often it sweeps.
public struct ServerSettings: Sendable {
    public var host: String
    public var port: Int
    /// Request bodies above this size get 413.
    public var maxBodyBytes: Int
    /// How often the sweep (reminders, escalations, violations, periodic reports, outbox) runs.
    public var sweepInterval: Duration
    /// Names this instance in the sweep lease, so instances sharing a database take turns.
    public var instanceID: String
    /// The rule pack folder, loaded at start and on reload.
    public var rulesPath: String
    /// Whether `/metrics` needs no token (a scraper inside the network).
    public var openMetrics: Bool
    /// Sign-in and sessions of the web console.
    public var console: ConsoleSettings = ConsoleSettings()
    /// How big an attachment may be and which types are taken (`--attachment-max-mb`, `--attachment-types`).
    /// The attachment upload alone may exceed `maxBodyBytes`, by this much plus the form's overhead.
    public var attachmentLimits: AttachmentLimits
    /// Sources of cases the server polls (kesu.yaml's `sources:`).
    public var sources: [ScheduledSource] = []

    public init(
        host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 64 * 1024, sweepInterval: Duration = .seconds(60),
        instanceID: String = ServerSettings.defaultInstanceID(), rulesPath: String, openMetrics: Bool = true,
        attachmentLimits: AttachmentLimits = .standard
    ) {
        self.host = host; self.port = port; self.maxBodyBytes = maxBodyBytes; self.sweepInterval = sweepInterval
        self.instanceID = instanceID; self.rulesPath = rulesPath; self.openMetrics = openMetrics
        self.attachmentLimits = attachmentLimits
    }

    public static func defaultInstanceID() -> String {
        "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
    }
}

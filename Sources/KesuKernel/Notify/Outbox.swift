import Foundation

/// A notification to deliver on one channel, as the engine hands it to the store: written in the
/// same transaction as the events (or records) that cause it.
public struct OutboxEntry: Sendable, Codable, Equatable {
    /// The case it is about; 0 for notifications not about a case (periodic reports). In
    /// `append` and `create` the store sets it to the case written.
    public var caseID: Int64
    /// The name of a configured notifier.
    public var channel: String
    public var notification: Notification

    public init(caseID: Int64 = 0, channel: String, notification: Notification) {
        self.caseID = caseID; self.channel = channel; self.notification = notification
    }
}

/// One row of the notification outbox: a notification waiting for, or done with, delivery on
/// one channel. Created pending and due at once (`nextAttemptAt == createdAt == notification.at`).
public struct OutboxItem: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// Waiting for its first delivery or a retry at `nextAttemptAt`.
        case pending
        case delivered
        /// Given up after the last attempt allowed; kept, and retryable.
        case failed
    }
    public var id: Int64
    public var caseID: Int64
    public var channel: String
    public var notification: Notification
    public var createdAt: Date
    public var status: Status
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var deliveredAt: Date?

    public init(
        id: Int64, caseID: Int64, channel: String, notification: Notification, createdAt: Date,
        status: Status = .pending, attempts: Int = 0, nextAttemptAt: Date, lastError: String? = nil, deliveredAt: Date? = nil
    ) {
        self.id = id; self.caseID = caseID; self.channel = channel; self.notification = notification
        self.createdAt = createdAt; self.status = status; self.attempts = attempts; self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError; self.deliveredAt = deliveredAt
    }
}

/// How the dispatcher retries: after the n-th failed attempt (n = 1, 2, …) the next one waits
/// `base × 2^(n-1)`, at most `cap`; after `maxAttempts` failures the item is failed.
public struct RetryPolicy: Sendable, Codable, Equatable {
    public var maxAttempts: Int
    public var base: TimeInterval
    public var cap: TimeInterval
    public init(maxAttempts: Int = 8, base: TimeInterval = 60, cap: TimeInterval = 3600) {
        self.maxAttempts = maxAttempts; self.base = base; self.cap = cap
    }
    public static let standard = RetryPolicy()

    /// The wait after the `attempts`-th failed attempt (1-based).
    public func delay(afterAttempts attempts: Int) -> TimeInterval {
        let n = max(0, min(attempts - 1, 30))
        return min(cap, base * pow(2, Double(n)))
    }
}

/// What one dispatcher run did.
public struct DeliveryReport: Sendable, Codable, Equatable {
    public struct Attempt: Sendable, Codable, Equatable {
        public enum Outcome: String, Sendable, Codable { case delivered, retrying, failed, unknownChannel = "unknown_channel" }
        public var id: Int64
        public var channel: String
        public var outcome: Outcome
        public var error: String?
        public var nextAttemptAt: Date?
    }
    public var at: Date
    public var attempts: [Attempt] = []
    public var delivered: Int { attempts.filter { $0.outcome == .delivered }.count }
    /// Failed this time and due again later.
    public var retrying: Int { attempts.filter { $0.outcome == .retrying || $0.outcome == .unknownChannel }.count }
    /// Given up this time (status failed).
    public var failed: Int { attempts.filter { $0.outcome == .failed }.count }
    public init(at: Date, attempts: [Attempt] = []) { self.at = at; self.attempts = attempts }
}

/// The outbox JSON of a notification, as stores keep it (sorted keys, reference-date seconds).
public enum OutboxCoding {
    public static func encode(_ n: Notification) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(n), as: UTF8.self)
    }
    public static func decode(_ json: String) throws -> Notification {
        try JSONDecoder().decode(Notification.self, from: Data(json.utf8))
    }
}

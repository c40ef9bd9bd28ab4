import Foundation

/// A message to people about a case: a reminder, an escalation, a dispatch.
public struct Notification: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case reminder, escalation, violation }
    public var kind: Kind
    public var caseNumber: String
    public var recipients: [String]
    public var text: String
    public var at: Date
    public init(kind: Kind, caseNumber: String, recipients: [String], text: String, at: Date) {
        self.kind = kind; self.caseNumber = caseNumber; self.recipients = recipients; self.text = text; self.at = at
    }
}

/// Delivers notifications somewhere (console, a file, a webhook, a plugin).
public protocol Notifier: Sendable {
    func deliver(_ notification: Notification) async throws
}

/// Keeps what it was given: the deterministic notifier for tests.
public actor CollectingNotifier: Notifier {
    public private(set) var delivered: [Notification] = []
    public init() {}
    public func deliver(_ notification: Notification) async throws { delivered.append(notification) }
}

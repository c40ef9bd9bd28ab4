import Foundation

/// Delivers each notification to every channel in turn; a channel that fails does not stop the
/// others, and the delivery then throws one error naming every channel that failed.
public struct FanOutNotifier: Notifier {
    public let channels: [(name: String, notifier: any Notifier)]

    public init(channels: [(String, any Notifier)]) {
        self.channels = channels.map { (name: $0.0, notifier: $0.1) }
    }

    public var names: [String] { channels.map(\.name) }

    public func deliver(_ notification: Notification) async throws {
        var failures: [(channel: String, error: String)] = []
        for (name, notifier) in channels {
            do { try await notifier.deliver(notification) } catch {
                failures.append((name, String(describing: error)))
            }
        }
        if !failures.isEmpty { throw FanOutError(failures: failures) }
    }
}

/// The channels of a fan-out delivery that failed, with why.
public struct FanOutError: Error, Sendable, CustomStringConvertible {
    public var failures: [(channel: String, error: String)]
    public var channels: [String] { failures.map(\.channel) }
    public var description: String {
        "delivery failed on \(failures.count) channel(s): "
            + failures.map { "\($0.channel) (\($0.error))" }.joined(separator: "; ")
    }
}

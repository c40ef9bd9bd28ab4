import Foundation

// Interface for the business calendar; implementation being written (see docs/rule-packs.md, "Deadlines").

/// Why a day is or isn't a working day, for explanations.
public enum DayKind: Sendable, Equatable {
    case working
    case weekend
    case holiday(name: String, label: String)
    case adjustedWorkday(name: String, label: String)

    public var isWorking: Bool {
        switch self {
        case .working, .adjustedWorkday: true
        case .weekend, .holiday: false
        }
    }
}

public struct CalendarError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

import Foundation
import KesuKernel

/// The JSON form of a notification that files and webhooks receive: `Notification.payload`,
/// the same object exec plugins get in `notify` — `{"at":…,"case":"YC-2026-000001","kind":"reminder",…}`.
public enum NotificationJSON {
    /// One line of compact JSON with sorted keys (no trailing newline).
    public static func data(_ n: KesuKernel.Notification) -> Data {
        Data(n.payload.compact.utf8)
    }
}

/// Prints each notification as one line on stderr, so stdout stays a command's own output.
public struct ConsoleNotifier: Notifier {
    public init() {}
    public var about: DriverInfo { DriverInfo(kind: "console", target: "stderr") }
    public func deliver(_ n: KesuKernel.Notification) async throws {
        FileHandle.standardError.write(Data("notify [\(n.kind.rawValue)] → \(n.recipients.joined(separator: ", ")): \(n.text)\n".utf8))
    }
}

/// Appends each notification to a file as one JSON line, flushed to disk (fsync) before
/// `deliver` returns; the file is created when missing.
public final class OutboxFileNotifier: Notifier, @unchecked Sendable {
    public let path: String
    private let lock = NSLock()

    public init(path: String) { self.path = path }

    public var about: DriverInfo { DriverInfo(kind: "outbox-file", target: path) }

    /// The file can be opened for appending (nothing is written).
    public func checkHealth(timeout: Duration) async throws -> String? {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard fd >= 0 else { throw NotifierError("cannot open '\(path)' for appending: \(String(cString: strerror(errno)))") }
        close(fd)
        return "可写入"
    }

    public func deliver(_ n: KesuKernel.Notification) async throws {
        var line = NotificationJSON.data(n)
        line.append(0x0A)
        try lock.withLock { try append(line) }
    }

    private func append(_ line: Data) throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard fd >= 0 else { throw NotifierError("cannot open '\(path)' for appending: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        try line.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw NotifierError("cannot write to '\(path)': \(String(cString: strerror(errno)))")
                }
                offset += n
            }
        }
        guard fsync(fd) == 0 else { throw NotifierError("cannot flush '\(path)' to disk: \(String(cString: strerror(errno)))") }
    }
}

/// Why a built-in notifier could not deliver.
public struct NotifierError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

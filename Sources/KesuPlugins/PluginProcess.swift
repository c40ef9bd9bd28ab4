import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What went wrong with a plugin process, before it is dressed as an ExecPluginError.
enum PluginFault: Error {
    case spawn(String)
    case timeout(String)
    case exited(String)
    case garbage(String)
    case wrongShape(String)
    case protocolMismatch(String)
    /// A well-formed JSON-RPC error object: the plugin is alive and refused the call.
    case rpcError(code: Int, message: String)
}

/// The last lines a plugin wrote on stderr, also handed line by line to the host's log.
final class StderrTail: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    private var partial = Data()
    let keep: Int
    let log: (@Sendable (String) -> Void)?
    let pluginID: String

    init(pluginID: String, keep: Int = 20, log: (@Sendable (String) -> Void)?) {
        self.pluginID = pluginID; self.keep = keep; self.log = log
    }

    func append(_ data: Data) {
        var complete: [String] = []
        lock.lock()
        partial.append(data)
        while let nl = partial.firstIndex(of: 0x0A) {
            complete.append(String(decoding: partial[partial.startIndex..<nl], as: UTF8.self))
            partial = Data(partial[partial.index(after: nl)...])
        }
        if partial.count > 8192 {  // a line without end: keep it anyway
            complete.append(String(decoding: partial, as: UTF8.self)); partial = Data()
        }
        lines.append(contentsOf: complete)
        if lines.count > keep { lines.removeFirst(lines.count - keep) }
        lock.unlock()
        for l in complete { log?("[plugin \(pluginID)] \(l)") }
    }

    func flush() {
        lock.lock()
        if !partial.isEmpty { lines.append(String(decoding: partial, as: UTF8.self)); partial = Data() }
        if lines.count > keep { lines.removeFirst(lines.count - keep) }
        lock.unlock()
    }

    var last: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}

/// One running plugin process: line-delimited JSON on its stdin and stdout, stderr collected
/// on a thread of its own. Not thread-safe: ExecPlugin serialises access.
final class PluginProcess: @unchecked Sendable {
    private static let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN) }()

    let process = Process()
    private let stdinPipe = Pipe(), stdoutPipe = Pipe(), stderrPipe = Pipe()
    private var buffer: [UInt8] = []
    private var closed = false
    /// Signalled when the stderr reader has seen the end of the pipe.
    private let stderrDone = DispatchSemaphore(value: 0)
    let stderr: StderrTail
    static let maxLine = 4 << 20

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    init(manifest: PluginManifest, stderr: StderrTail) throws {
        _ = Self.ignoreSIGPIPE
        self.stderr = stderr
        guard let program = manifest.command.first else { throw PluginFault.spawn("the manifest's command is empty") }
        guard let exe = Self.resolve(program, in: manifest.directory) else {
            if let file = Self.notExecutable(program, in: manifest.directory) {
                throw PluginFault.spawn("the program '\(file)' is there but not executable (no run bit): chmod +x \(file)")
            }
            let whereLooked = program.contains("/") ? "no such file in the plugin folder" : "not on PATH"
            throw PluginFault.spawn("cannot find the program '\(program)' (\(whereLooked))")
        }
        process.executableURL = URL(fileURLWithPath: exe)
        process.arguments = Array(manifest.command.dropFirst())
        process.currentDirectoryURL = URL(fileURLWithPath: manifest.directory)
        let host = ProcessInfo.processInfo.environment
        var env: [String: String] = [:]
        for name in manifest.env { if let v = host[name] { env[name] = v } }
        process.environment = env
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        do { try process.run() } catch { throw PluginFault.spawn("cannot start '\(exe)': \(error)") }
        let handle = stderrPipe.fileHandleForReading
        let tail = stderr
        let done = stderrDone
        let t = Thread {
            while true {
                let d = handle.availableData
                if d.isEmpty { break }
                tail.append(d)
            }
            tail.flush()
            done.signal()
        }
        t.start()
    }

    /// The file `program` names when it exists but cannot be run, for the error message.
    static func notExecutable(_ program: String, in directory: String) -> String? {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        func plainFile(_ p: String) -> Bool { fm.fileExists(atPath: p, isDirectory: &isDir) && !isDir.boolValue }
        if program.contains("/") {
            let p = ((program.hasPrefix("/") ? program : (directory as NSString).appendingPathComponent(program)) as NSString).standardizingPath
            return plainFile(p) && !fm.isExecutableFile(atPath: p) ? p : nil
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { (String($0) as NSString).appendingPathComponent(program) }.first(where: plainFile)
    }

    static func resolve(_ program: String, in directory: String) -> String? {
        if program.contains("/") {
            let p = program.hasPrefix("/") ? program : (directory as NSString).appendingPathComponent(program)
            return FileManager.default.isExecutableFile(atPath: p) ? p : nil
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let p = (String(dir) as NSString).appendingPathComponent(program)
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// Writes one line (the text plus "\n").
    func send(_ line: String) throws {
        let bytes = Array((line + "\n").utf8)
        let fd = stdinPipe.fileHandleForWriting.fileDescriptor
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBufferPointer { write(fd, $0.baseAddress! + off, bytes.count - off) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw PluginFault.exited("its stdin is closed (\(exitDescription(wait: .milliseconds(200))))")
            }
            off += n
        }
    }

    /// Reads one line from stdout, waiting until `deadline` at most.
    func readLine(deadline: ContinuousClock.Instant, waitingFor what: String) throws -> String {
        let fd = stdoutPipe.fileHandleForReading.fileDescriptor
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if let nl = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                return line
            }
            if buffer.count > Self.maxLine { throw PluginFault.garbage("a line of more than \(Self.maxLine) bytes without end") }
            let left = ContinuousClock.now.duration(to: deadline)
            if left <= .zero { throw PluginFault.timeout(what) }
            let ms = Int32(clamping: Int((Double(left.components.seconds) * 1000 + Double(left.components.attoseconds) / 1e15).rounded(.up)))
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let r = poll(&pfd, 1, max(1, ms))
            if r == 0 { continue }
            if r < 0 { if errno == EINTR { continue }; throw PluginFault.exited("cannot read its stdout (errno \(errno))") }
            let n = chunk.withUnsafeMutableBufferPointer { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 { if errno == EINTR || errno == EAGAIN { continue }; throw PluginFault.exited("cannot read its stdout (errno \(errno))") }
            if n == 0 { throw PluginFault.exited("it closed its stdout (\(exitDescription(wait: .milliseconds(500))))") }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    /// "exited with status 3", "killed by signal 9" or "still running".
    func exitDescription(wait: Duration) -> String {
        let until = ContinuousClock.now + wait
        while process.isRunning && ContinuousClock.now < until { usleep(5000) }
        if process.isRunning { return "still running" }
        return process.terminationReason == .uncaughtSignal
            ? "killed by signal \(process.terminationStatus)" : "exited with status \(process.terminationStatus)"
    }

    /// Waits up to `timeout` for the process to end on its own.
    func waitExit(timeout: Duration) -> Bool {
        let until = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < until { usleep(5000) }
        if process.isRunning { return false }
        process.waitUntilExit()
        closePipes()
        _ = stderrDone.wait(timeout: .now() + .milliseconds(300))
        return true
    }

    /// SIGKILL and reap: no zombie is left behind.
    func kill() {
        if process.isRunning { _ = sendSignal(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        closePipes()
        // the last stderr lines, for the error message
        _ = stderrDone.wait(timeout: .now() + .milliseconds(300))
    }

    private func closePipes() {
        guard !closed else { return }
        closed = true
        try? stdinPipe.fileHandleForWriting.close()
        try? stdoutPipe.fileHandleForReading.close()
    }

    deinit { if process.isRunning { _ = sendSignal(process.processIdentifier, SIGKILL); process.waitUntilExit() } }
}

/// kill(2), out of the way of PluginProcess.kill().
func sendSignal(_ pid: Int32, _ sig: Int32) -> Int32 {
    #if canImport(Glibc)
    Glibc.kill(pid, sig)
    #else
    Darwin.kill(pid, sig)
    #endif
}

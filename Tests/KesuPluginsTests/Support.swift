import Foundation
import KesuPlugins
#if canImport(Glibc)
import Glibc
#endif

enum Fixture {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func plugin(_ name: String) -> String { packageRoot.appendingPathComponent("plugins/\(name)").path }

    /// True when no process (not even a zombie) has this id.
    static func gone(_ pid: Int32) -> Bool { kill(pid, 0) == -1 && errno == ESRCH }

    static func broken(_ mode: String, kind: PluginManifest.Kind = .notifier, call: Duration = .milliseconds(800),
                       backoff: Duration = .milliseconds(300), log: (@Sendable (String) -> Void)? = nil) throws -> ExecPlugin {
        var m = try PluginManifestLoader.load(directory: plugin("broken")).with(options: ["mode": .string(mode)])
        m.kinds = [kind]
        m.callTimeout = call
        return ExecPlugin(manifest: m, backoff: .init(initial: backoff, max: .seconds(2)), log: log)
    }
}

/// A local webhook: Python's http.server in a subprocess; every POST body comes back as a line.
final class WebhookServer: @unchecked Sendable {
    let process = Process()
    let out = Pipe()
    var buffer = Data()
    var port = 0

    static let script = """
    import http.server, sys
    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            sys.stdout.buffer.write(self.path.encode() + b" " + body + b"\\n"); sys.stdout.flush()
            answer = b'{"errcode":0,"errmsg":"ok"}'
            self.send_response(200); self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer))); self.end_headers(); self.wfile.write(answer)
        def log_message(self, *a): pass
    s = http.server.HTTPServer(("127.0.0.1", 0), H)
    print(s.server_address[1], flush=True)
    s.serve_forever()
    """

    init() throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", Self.script]
        process.standardOutput = out
        try process.run()
        port = Int(nextLine()) ?? 0
    }

    var url: String { "http://127.0.0.1:\(port)/robot/send?key=test" }

    func nextLine() -> String {
        while true {
            if let nl = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer = Data(buffer[buffer.index(after: nl)...])
                return line
            }
            let d = out.fileHandleForReading.availableData
            if d.isEmpty { return "" }
            buffer.append(d)
        }
    }

    // SIGKILL: children of the test runner may inherit an ignored SIGTERM
    func stop() { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
}

/// Runs the built `kesu` binary.
func runKesu(_ args: [String]) throws -> (status: Int32, stdout: String) {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kesu")
    let binary = FileManager.default.isExecutableFile(atPath: beside.path) ? beside : Fixture.packageRoot.appendingPathComponent(".build/debug/kesu")
    let p = Process()
    p.executableURL = binary
    p.arguments = args
    p.currentDirectoryURL = Fixture.packageRoot
    let out = Pipe()
    p.standardOutput = out
    p.standardError = Pipe()
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self))
}

/// When the host logged a plugin failure (measured where it happens, not when an awaiting task resumes).
final class FailureClock: @unchecked Sendable {
    private let lock = NSLock()
    private var at: ContinuousClock.Instant?
    var failedAt: ContinuousClock.Instant? { lock.withLock { at } }
    func log(_ line: String) { if line.contains("failed:") { lock.withLock { if at == nil { at = .now } } } }
}

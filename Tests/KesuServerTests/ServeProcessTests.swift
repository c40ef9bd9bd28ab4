import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GRDB
import KesuKernel
import KesuSQLite
import KesuTestSupport
import Testing

/// `kesu serve` as a process: it starts on the README's defaults, answers over a socket, reloads
/// its rules on SIGHUP (refusing a broken pack) and shuts down cleanly on SIGTERM.
@Suite("kesu serve (process)")
struct ServeProcessTests {
    static var binary: URL { KesuProcess.binary }

    final class Server: @unchecked Sendable {
        let process = Process()
        let port: Int
        let log: URL
        init(dir: URL, rules: String, db: String, port: Int = Int.random(in: 20000...40000), extra: [String] = []) throws {
            self.port = port
            log = dir.appendingPathComponent("serve.log")
            if !FileManager.default.fileExists(atPath: log.path) { FileManager.default.createFile(atPath: log.path, contents: nil) }
            process.executableURL = ServeProcessTests.binary
            process.arguments = ["serve", "--rules", rules, "--db", db, "--port", String(port), "--sweep-every", "1"] + extra
            process.currentDirectoryURL = dir
            process.environment = KesuProcess.cleanEnvironment
            let handle = try FileHandle(forWritingTo: log)
            handle.seekToEndOfFile()
            process.standardError = handle
            process.standardOutput = handle
            try process.run()
        }
        var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

        func request(_ method: String, _ path: String, token: String? = nil, body: String? = nil) async throws -> (Int, [String: Any]) {
            try await request(method, path, token: token, body: body, headers: [:])
        }

        func request(_ method: String, _ path: String, token: String? = nil, body: String? = nil, headers: [String: String]) async throws -> (Int, [String: Any]) {
            var r = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
            r.timeoutInterval = 5
            for (k, v) in headers { r.setValue(v, forHTTPHeaderField: k) }
            r.httpMethod = method
            if let token { r.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            if let body { r.httpBody = Data(body.utf8); r.setValue("application/json", forHTTPHeaderField: "Content-Type") }
            let (data, response) = try await URLSession.shared.data(for: r)
            return ((response as! HTTPURLResponse).statusCode, ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any]) ?? [:])
        }

        /// Sends `text` as it is on a new connection and returns everything the server answers
        /// until it closes: for requests URLSession would encode or refuse to send.
        func raw(_ text: String) throws -> String {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw POSIXError(.EIO) }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
            let bytes = Array(text.utf8)
            guard send(fd, bytes, bytes.count, 0) == bytes.count else { throw POSIXError(.EIO) }
            var answer: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = recv(fd, &chunk, chunk.count, 0)
                if n <= 0 { break }
                answer += chunk[0..<n]
            }
            return String(decoding: answer, as: UTF8.self)
        }

        /// Waits until `/readyz` answers 200 (or the process dies).
        func waitReady() async throws {
            for _ in 0..<200 {
                if !process.isRunning { Issue.record("kesu serve exited: \(logText)"); return }
                if let (status, _) = try? await request("GET", "/readyz"), status == 200 { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            Issue.record("kesu serve never became ready: \(logText)")
        }

        /// Polls until `check` holds, for at most ten seconds.
        func eventually(_ what: String, _ check: () async throws -> Bool) async throws {
            for _ in 0..<100 {
                if try await check() { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            Issue.record("never: \(what)\n\(logText)")
        }
    }

    /// `kesu users add --person P --json`, the README's way: the token it prints once.
    static func usersAdd(_ person: String, rules: String, db: String, in dir: URL) throws -> String {
        let add = Process()
        add.executableURL = Self.binary
        add.arguments = ["users", "add", "--person", person, "--json", "--rules", rules, "--db", db]
        add.currentDirectoryURL = dir
        let out = Pipe()
        add.standardOutput = out
        try add.run()
        let printed = out.fileHandleForReading.readDataToEndOfFile()
        add.waitUntilExit()
        #expect(add.terminationStatus == 0)
        return try #require(((try JSONSerialization.jsonObject(with: printed)) as? [String: Any])?["token"] as? String)
    }

    @Test("serve, SIGHUP reload (a broken pack is refused), SIGTERM shuts down cleanly")
    func lifecycle() async throws {
        let dir = try Paths.temp("kesu-serve")
        let rules = try OperationsTests.editablePack()
        let db = dir.appendingPathComponent("kesu.db").path
        let token = try Self.usersAdd("zhao_min", rules: rules, db: db, in: dir)
        let server = try Server(dir: dir, rules: rules, db: db)
        defer { if server.process.isRunning { server.process.terminate() } }
        try await server.waitReady()

        let (health, _) = try await server.request("GET", "/healthz")
        #expect(health == 200)
        let (unauth, body) = try await server.request("GET", "/v1/cases")
        #expect(unauth == 401)
        #expect(((body["error"] as? [String: Any])?["message"] as? String)?.contains("Bearer") == true)
        let fields = try String(data: JSONSerialization.data(withJSONObject: ["fields": SafeWriteTests.fields]), encoding: .utf8)!
        let (created, made) = try await server.request("POST", "/v1/cases", token: token, body: fields)
        #expect(created == 201, "\(made)")
        let (_, info) = try await server.request("GET", "/v1/rules", token: token)
        #expect(info["label"] as? String == "2026.1")
        // One log line per request names the user: the authenticated person, `-` without a token.
        try await server.eventually("the request lines name the user") {
            server.logText.contains("path=/v1/rules status=200 user=zhao_min") && server.logText.contains("path=/v1/cases status=401 user=-")
        }

        // A raw non-ASCII query, as curl sends an unencoded `?text=投诉`: NIO cannot parse it, and
        // the answer is the API's JSON error saying how to send it, on a closed connection.
        let rawAnswer = try server.raw("GET /v1/cases?text=投诉 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\n\r\n")
        #expect(rawAnswer.hasPrefix("HTTP/1.1 400"), "\(rawAnswer)")
        #expect(rawAnswer.lowercased().contains("content-type: application/json"), "\(rawAnswer)")
        let rawBody = rawAnswer.components(separatedBy: "\r\n\r\n").dropFirst().joined()
        let rawError = (try? JSONSerialization.jsonObject(with: Data(rawBody.utf8)) as? [String: Any])?["error"] as? [String: Any]
        #expect(rawError?["code"] as? String == "bad_request", "\(rawAnswer)")
        #expect((rawError?["message"] as? String)?.contains("percent-encode") == true, "\(rawAnswer)")

        // Edit the pack and send SIGHUP: the new label is in force.
        let packFile = rules + "/pack.yaml"
        let original = try String(contentsOfFile: packFile, encoding: .utf8)
        try original.replacingOccurrences(of: #"label: "2026.1""#, with: #"label: "2026.2""#).write(toFile: packFile, atomically: true, encoding: .utf8)
        kill(server.process.processIdentifier, SIGHUP)
        try await server.eventually("the reloaded label is served") {
            (try await server.request("GET", "/v1/rules", token: token).1["label"] as? String) == "2026.2"
        }
        // Break it and send SIGHUP again: refused, logged, the old rules stay.
        try "pack: [\n".write(toFile: packFile, atomically: true, encoding: .utf8)
        kill(server.process.processIdentifier, SIGHUP)
        try await server.eventually("the refusal is logged") { server.logText.contains("rules reload refused") }
        #expect(try await server.request("GET", "/v1/rules", token: token).1["label"] as? String == "2026.2")
        #expect(server.logText.contains("pack.yaml:"))
        let (still, _) = try await server.request("POST", "/v1/cases", token: token, body: fields)
        #expect(still == 201)

        // SIGTERM: a graceful shutdown, exit status 0, the sweep stopped.
        server.process.terminate()
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0, "\(server.logText)")
        #expect(server.logText.contains("sweep service stopped"))
        // Everything acknowledged is in the database.
        let store = try SQLiteStore(path: db)
        #expect(try await store.count(CaseQuery()) == 2)
    }

    @Test("the first start after an upgrade builds the reports' read model in the background, and says so")
    func buildsTheReadModelOfAnUpgradedStore() async throws {
        let dir = try Paths.temp("kesu-serve-facts")
        let rules = KesuProcess.packageRoot.appendingPathComponent("rules/tobacco-prefecture").path
        let db = dir.appendingPathComponent("kesu.db").path
        for n in 0..<3 {
            let r = try KesuProcess.run(["intake", "--rules", rules, "--db", db, "--as", "zhao_min", "--now", "2026-10-1\(n)T09:00:00+08:00",
                                         "--field", "channel=phone", "--field", "kind=complaint", "--field", "complainant_type=consumer", "--field", "category=other",
                                         "--field", "description=送货晚了第\(n)次"], in: dir)
            #expect(r.status == 0, "\(r.stderr)")
        }
        // What an upgrade from before the read model leaves: the cases, no facts, not ready.
        let store = try SQLiteStore(path: db)
        try await store.replaceReportFacts(through: Dictionary(uniqueKeysWithValues: try await store.list(CaseQuery()).map { ($0.id, $0.version) }),
                                           with: [])
        try store.close()
        let queue = try DatabaseQueue(path: db)
        try await queue.write { db in try db.execute(sql: "UPDATE report_facts_status SET ready = 0") }
        try queue.close()
        let before = try KesuProcess.run(["report", "facts", "--json", "--rules", rules, "--db", db], in: dir)
        #expect(before.stdout.contains("false"), "\(before.stdout)")

        let server = try Server(dir: dir, rules: rules, db: db)
        defer { if server.process.isRunning { server.process.terminate() } }
        try await server.waitReady()
        try await server.eventually("the log says the read model is built") {
            server.logText.contains("the reports' read model is built")
        }
        #expect(server.logText.contains("building the reports' read model"))
        let after = try KesuProcess.run(["report", "facts", "--json", "--rules", rules, "--db", db], in: dir)
        #expect(after.stdout.contains("true"), "\(after.stdout)")
        let reopened = try SQLiteStore(path: db)
        defer { try? reopened.close() }
        let year = try Period.parse("2026", calendar: try Planner(pack: TestPack.make()).calendar)
        let opened = try await reopened.reportFactCounts(kinds: [.opened], from: year.start, to: year.end, by: nil, distinctCases: false)
        #expect(opened.first?.count == 3, "the three cases are counted again: \(opened)")
    }
}

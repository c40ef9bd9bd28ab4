import Foundation
import KesuKernel
import KesuSQLite
import Testing

/// `kesu` runs killed with SIGKILL in the middle of their work: a write is all or nothing, and
/// the retry with the same Idempotency-Key finishes the job without a duplicate.
@Suite("kesu killed mid-write")
struct CLICrashTests {
    @Test("intakes killed at random moments, then retried: one whole case per key")
    func killedIntakes() async throws {
        let cli = try KesuCLI()
        let keys = (0..<12).map { "kill-\($0)" }
        var killed = 0
        for (i, key) in keys.enumerated() {
            let args = [
                "intake", "--json", "--idempotency-key", key, "--field", "channel=phone", "--field", "kind=complaint",
                "--field", "complainant_type=retailer", "--field", "region=county_a", "--field", "category=marketing_service",
                "--field", "subject=投诉 \(key)", "--field", "description=送货不及时", "--field", "complainant_phone=13812345678",
                "--rules", KesuCLI.pack("tobacco-prefecture"), "--db", cli.db, "--as", "zhao_min",
                "--now", "2026-09-30T10:\(String(format: "%02d", i)):00+08:00",
            ]
            // The first attempt is killed somewhere between start-up and its commit.
            let p = Process()
            p.executableURL = KesuCLI.binary
            p.arguments = args
            p.currentDirectoryURL = cli.dir
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...120)))
            if p.isRunning { kill(p.processIdentifier, SIGKILL); killed += 1 }
            p.waitUntilExit()
            // The retry, as an operator would run it again.
            let retry = try cli.run(Array(args.dropLast(8)), now: "2026-09-30T10:\(String(format: "%02d", i)):00+08:00", as: "zhao_min")
            #expect(retry.status == 0, "\(key): \(retry.stderr)")
        }
        #expect(killed > 0, "the kills must land for this test to mean anything")
        let store = try SQLiteStore(path: cli.db)
        let cases = try await store.list(CaseQuery(limit: 100))
        #expect(cases.count == keys.count, "one case per key (\(killed) of \(keys.count) first attempts were killed)")
        #expect(Set(cases.map(\.text)).count == keys.count)
        for s in cases {
            let events = try await store.events(caseID: s.id)
            #expect(events.first?.type == "intake")
            #expect(events.count == s.version && events.map(\.seq) == Array(1...events.count), "\(s.number): events and summary agree")
        }
        // Integrity of the file itself.
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        check.arguments = [cli.db, "PRAGMA integrity_check;"]
        let out = Pipe()
        check.standardOutput = out
        try check.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        check.waitUntilExit()
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
    }
}

import Foundation
import GRDB
import KesuKernel
import KesuSQLite

// kesu-bench export --db FILE: the case register (台账) of every case in FILE, written by the release
// `kesu register` as CSV and as XLSX, with its time and peak memory, against the register of the last
// quarter of the same store (issue 19, streaming exports). Bounded memory: the peak for every case is
// (about) the peak for a quarter, however many rows. Each run is measured in a child of its own
// (`kesu-bench rusage PROGRAM ARGS…`), whose ru_maxrss is that run's peak.

func exportBench(_ o: Options) async throws {
    guard let db = o.db else { throw BenchError("export needs --db FILE (a store from `kesu-bench generate`)") }
    print("machine: \(machine())")
    let rows = try await exportRows(o, db: db)
    print()
    print(table(rows))
}

func exportRows(_ o: Options, db: String) async throws -> [Row3] {
    guard let kesu = siblingKesu() else { throw BenchError("no release kesu beside kesu-bench: swift build -c release --product kesu") }
    #if DEBUG
    print("warning: a debug build; figures are only meaningful with `swift run -c release kesu-bench export`")
    #endif
    // Opened once first, so that a store older than this version is migrated before anything is timed.
    let opening = try ContinuousClock().measure { try SQLiteStore(path: db).close() }
    print("opened \(db) (migrations, if any): \(fmt(seconds(opening), 1)) s")
    let queue = try DatabaseQueue(path: db, configuration: { var c = Configuration(); c.readonly = true; return c }())
    let (count, first, last) = try await queue.read { db -> (Int, Double, Double) in
        let row = try GRDB.Row.fetchOne(db, sql: "SELECT COUNT(*), MIN(opened_at), MAX(opened_at) FROM cases")!
        return (row[0], row[1], row[2])
    }
    try queue.close()
    let zone = TimeZone(identifier: "Asia/Shanghai")!
    func day(_ t: Double) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX"); f.timeZone = zone; f.dateFormat = "yyyy-MM-dd"
        return f.string(from: Date(timeIntervalSinceReferenceDate: t))
    }
    let all = (day(first), day(last)), quarter = (day(last - 91 * 86_400), day(last))
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kesu-bench-export-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    print("the case register of \(db) (\(count) cases), with \(kesu)")
    var rows: [Row3] = []
    var counted: [String: Int] = [:]   // rows per window, as the CSV run wrote them
    for format in ["csv", "xlsx"] {
        var quarterPeak = 0.0
        for (label, window) in [("the last quarter", quarter), ("every case", all)] {
            let out = dir.appendingPathComponent("register.\(format)").path
            let args = ["register", "--db", db, "--rules", o.rules, "--from", window.0, "--until", window.1, "--format", format,
                        "--out", out, "--now", "2026-11-27T10:00:00+08:00"]
            let result = try run(CommandLine.arguments[0], ["rusage", kesu] + args)
            let fields = result.split(separator: "\n").first { $0.hasPrefix("RESULT\t") }?.split(separator: "\t") ?? []
            guard fields.count == 4, fields[3] == "0", let msValue = Double(fields[1]), let kb = Double(fields[2]) else {
                throw BenchError("kesu register \(args.joined(separator: " ")) failed: \(result)")
            }
            let written = format == "csv" ? try csvRecords(out) : counted[label] ?? 0
            counted[label] = written
            let size = ((try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0) ?? 0
            let mb = kb / 1024
            print("\(format), \(label) (\(window.0) … \(window.1)): \(written) rows, \(fmt(msValue / 1000, 1)) s, peak \(fmt(mb, 0)) MB, \(size / 1_000_000) MB file")
            if label == "the last quarter" {
                quarterPeak = mb
                rows.append(Row3(
                    figure: "`kesu register --format \(format)`, the last quarter (\(written) rows)",
                    measured: "\(fmt(msValue / 1000, 1)) s, peak RSS \(fmt(mb, 0)) MB", reference: "—", ratio: "—", verdict: ""))
            } else {
                let ratio = mb / max(quarterPeak, 1)
                rows.append(Row3(
                    figure: "`kesu register --format \(format)`, every case of the store (\(written) rows, \(size / 1_000_000) MB)",
                    measured: "\(fmt(msValue / 1000, 1)) s (\(fmt(Double(written) / (msValue / 1000), 0)) rows/s), peak RSS \(fmt(mb, 0)) MB",
                    reference: "the same export of the last quarter: peak \(fmt(quarterPeak, 0)) MB; bounded: ratio ≤ 1.5",
                    ratio: fmt(ratio, 2), verdict: ratio <= 1.5 ? "ok" : "ABOVE"))
            }
            if format == "csv" && label == "every case" && written != count {
                throw BenchError("the register has \(written) rows, the store \(count) cases")
            }
        }
    }
    return rows
}

/// Records in a CSV file less its header (a line break inside quotes is part of a field).
func csvRecords(_ path: String) throws -> Int {
    guard let handle = FileHandle(forReadingAtPath: path) else { return 0 }
    defer { try? handle.close() }
    var n = 0, quoted = false
    while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
        for b in data {
            if b == 0x22 { quoted.toggle() } else if b == 0x0A && !quoted { n += 1 }
        }
    }
    return n - 1
}

/// `kesu-bench rusage PROGRAM ARGS…`: runs the program to completion (its output discarded) and prints
/// `RESULT\tms\tpeakKB\tstatus`; this process has no other child, so RUSAGE_CHILDREN is that run's.
func rusageChild(_ args: [String]) throws {
    guard let program = args.first else { throw BenchError("rusage needs a program") }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: program)
    p.arguments = Array(args.dropFirst())
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    let clock = ContinuousClock()
    let start = clock.now
    try p.run()
    p.waitUntilExit()
    let elapsed = clock.now - start
    var usage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    print(["RESULT", fmt(ms(elapsed), 0), String(usage.ru_maxrss), String(p.terminationStatus)].joined(separator: "\t"))
}

import Foundation
import KesuKernel
import KesuTestSupport
import KesuYAML
import Testing

/// The hostile end of the corpus of broken packs (issue 7): each breaks a copy of the shipped
/// tobacco-prefecture pack in one way and must be refused with its own error at its place —
/// quickly, in bounded memory, without a crash. The ordinary mistakes are in LoaderBadPackTests.
@Suite("Bad packs: the hostile corpus")
struct BadPackCorpusTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A copy of the shipped pack (and its calendars) to break.
    static func copy(_ name: String = "tobacco-prefecture") throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kesu-corpus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for folder in [name, "calendars"] {
            try FileManager.default.copyItem(at: root.appendingPathComponent("rules/\(folder)"), to: dir.appendingPathComponent(folder))
        }
        return dir
    }

    struct Breakage: Sendable, CustomStringConvertible {
        var name: String
        /// File (relative to the copy) and its new bytes, given the old text.
        var file: String
        var change: @Sendable (String) -> [UInt8]
        /// What the error must say, and the file:line it must be reported at.
        var says: String
        var at: String
        var description: String { name }
    }

    static func text(_ s: String) -> [UInt8] { Array(s.utf8) }

    static let corpus: [Breakage] = [
        Breakage(name: "an alias bomb in a list the loader reads", file: "tobacco-prefecture/classification.yaml", change: { old in
            var bomb = "  - {id: c0, name: n, keywords: &k0 [a, b, c, d, e, f, g, h, i, j]}\n"
            for i in 1...9 { bomb += "  - {id: c\(i), name: n, keywords: &k\(i) [\(Array(repeating: "*k\(i - 1)", count: 10).joined(separator: ", "))]}\n" }
            return text(old.replacingOccurrences(of: "categories:\n", with: "categories:\n" + bomb))
        }, says: "expected a string for an entry of 'keywords'", at: "classification.yaml:"),
        Breakage(name: "100,000 levels of nesting", file: "tobacco-prefecture/deep.yaml", change: { _ in
            text("fields: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n")
        }, says: "nesting", at: "deep.yaml:1:"),
        Breakage(name: "a 30 MB file", file: "tobacco-prefecture/huge.yaml", change: { _ in
            text(String(repeating: "# " + String(repeating: "x", count: 98) + "\n", count: 300_000))
        }, says: "at most 4 MiB", at: "huge.yaml:1:1"),
        Breakage(name: "GBK bytes, not UTF-8", file: "tobacco-prefecture/pack.yaml", change: { old in
            let lines = old.components(separatedBy: "\n")
            return text(lines.prefix(7).joined(separator: "\n") + "\n") + [0xD6, 0xDD, 0xD1, 0xCC] + text("\n" + lines.dropFirst(7).joined(separator: "\n"))
        }, says: "not UTF-8", at: "pack.yaml:8:1"),
        Breakage(name: "a time zone that does not exist", file: "tobacco-prefecture/pack.yaml", change: { old in
            text(old.replacingOccurrences(of: "time_zone: Asia/Shanghai", with: "time_zone: Asia/Shanghia"))
        }, says: "Asia/Shanghai", at: "pack.yaml:13:"),
        Breakage(name: "30 February in the holiday calendar", file: "calendars/cn-2024-2026.yaml", change: { old in
            text(old.replacingOccurrences(of: "{date: 2024-02-10, name: spring_festival", with: "{date: 2024-02-30, name: spring_festival"))
        }, says: "2024-02-30", at: "cn-2024-2026.yaml:15:"),
        Breakage(name: "a pack that extends itself", file: "tobacco-prefecture/pack.yaml", change: { old in
            text(old.replacingOccurrences(of: "pack:\n", with: "pack:\n  extends: ../tobacco-prefecture\n"))
        }, says: "extends", at: "pack.yaml:"),
        Breakage(name: "a tab-indented mapping", file: "tobacco-prefecture/routing.yaml", change: { old in
            text(old.replacingOccurrences(of: "\n    unit: marketing_center", with: "\n\tunit: marketing_center"))
        }, says: "YAML syntax error", at: "routing.yaml:"),
        Breakage(name: "a number where a list of ids belongs", file: "tobacco-prefecture/pack.yaml", change: { old in
            text(old.replacingOccurrences(of: "weekend: [saturday, sunday]", with: "weekend: 6"))
        }, says: "weekend", at: "pack.yaml:"),
        Breakage(name: "a NUL byte", file: "tobacco-prefecture/organisation.yaml", change: { old in
            text(old.replacingOccurrences(of: "roles:", with: "ro\u{0}les:"))
        }, says: "control character U+0000", at: "organisation.yaml:14:3"),
    ]

    @Test("refused with its error at its place", arguments: corpus)
    func refused(_ b: Breakage) throws {
        let dir = try Self.copy()
        let file = dir.appendingPathComponent(b.file)
        let old = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        try Data(b.change(old)).write(to: file)
        let start = ContinuousClock.now
        do {
            _ = try RulePackLoader().load(directory: dir.appendingPathComponent("tobacco-prefecture").path)
            Issue.record("\(b.name): the pack was accepted")
        } catch let e as RulePackError {
            let errors = e.diagnostics.filter { $0.severity == .error }
            #expect(!errors.isEmpty)
            let hit = errors.first { $0.description.contains(b.at) && $0.message.contains(b.says) }
            #expect(hit != nil, "\(b.name): expected '\(b.says)' at \(b.at); got:\n\(errors.map(\.description).joined(separator: "\n"))")
        }
        // Bounded: a hostile file is refused as fast as a typo (debug build, shared machine: generous).
        #expect(ContinuousClock.now - start < .seconds(10), "\(b.name) took \(ContinuousClock.now - start)")
    }

    /// A seeded mutator over every file of the pack: byte flips, deleted, duplicated and swapped
    /// lines, truncation, punctuation spliced in. The loader must answer each with a pack or a
    /// refusal whose errors point into the pack's files; never a crash, a hang, or an error without a place.
    @Test("seeded mutations of the pack's files never crash the loader")
    func mutations() throws {
        let dir = try Self.copy()
        let pack = dir.appendingPathComponent("tobacco-prefecture")
        let files = try FileManager.default.contentsOfDirectory(atPath: pack.path).filter { $0.hasSuffix(".yaml") }.sorted()
        var rng = SplitMix(seed: 20261129)
        let deadline = ContinuousClock.now + .seconds(10)
        var tried = 0, refused = 0
        let punctuation: [UInt8] = Array(":-[]{},&*!|>'\"#%@`\t\n ".utf8)
        while ContinuousClock.now < deadline && tried < 250 {
            let name = files[Int(rng.next() % UInt64(files.count))]
            let path = pack.appendingPathComponent(name)
            let original = try Data(contentsOf: path)
            var bytes = [UInt8](original)
            var lines = original.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
            switch rng.next() % 6 {
            case 0: for _ in 0..<3 where !bytes.isEmpty { bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
            case 1: if lines.count > 1 { lines.remove(at: Int(rng.next() % UInt64(lines.count))) }; bytes = Array(lines.joined(separator: [10]))
            case 2: if !lines.isEmpty { let i = Int(rng.next() % UInt64(lines.count)); lines.insert(lines[i], at: i) }; bytes = Array(lines.joined(separator: [10]))
            case 3: if lines.count > 2 { lines.swapAt(Int(rng.next() % UInt64(lines.count)), Int(rng.next() % UInt64(lines.count))) }; bytes = Array(lines.joined(separator: [10]))
            case 4: bytes = Array(bytes.prefix(Int(rng.next() % UInt64(bytes.count + 1))))
            default: for _ in 0..<2 { bytes.insert(punctuation[Int(rng.next() % UInt64(punctuation.count))], at: Int(rng.next() % UInt64(bytes.count + 1))) }
            }
            try Data(bytes).write(to: path)
            do {
                _ = try RulePackLoader().load(directory: pack.path)
            } catch let e as RulePackError {
                refused += 1
                let errors = e.diagnostics.filter { $0.severity == .error }
                #expect(!errors.isEmpty, "a refusal without an error (\(name))")
                for d in errors {
                    #expect(d.location.file.contains(dir.path) || d.location.file.contains("tobacco-prefecture") || d.location.file.contains("calendars"),
                            "an error without a place in the pack: \(d)")
                    #expect(d.location.line >= 1 || d.location.file.hasPrefix("<"), "no line: \(d)")
                }
            }
            try original.write(to: path)
            tried += 1
        }
        print("pack loader mutations: \(tried) tried, \(refused) refused, none crashed")
        #expect(tried >= 50, "only \(tried) mutations in the time given")
        #expect(refused > tried / 4, "most mutations should break the pack (\(refused) of \(tried))")
    }
}

import Foundation
import KesuKernel
import KesuYAML

// A coverage-guided fuzz target over the rule-pack loader (issue 7, item 3), for libFuzzer:
//
//   scripts/fuzz-pack [SECONDS]        builds with -sanitize=fuzzer,address and runs it
//
// One input replaces one file of the shipped packs: its first byte picks the file, the rest is
// the file's new content. The loader must answer every input with a pack or a refusal whose
// errors all have a place; anything else (a crash, a hang, an error without a place) is a finding.
// Built normally (without FUZZING) the same code is a replay tool: `kesu-fuzz-pack INPUT…`.

enum FuzzPack {
    /// Every file under the rules folder, read once: the packs and the calendars they share.
    static let files: [String: [UInt8]] = {
        let root = ProcessInfo.processInfo.environment["KESU_FUZZ_RULES"] ?? "rules"
        var out: [String: [UInt8]] = [:]
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            let path = "\(root)/\(relative)"
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  let data = FileManager.default.contents(atPath: path) else { continue }
            out["rules/\(relative)"] = [UInt8](data)
        }
        if out.isEmpty { fatalError("no rule files under '\(root)' (run from the repository root or set KESU_FUZZ_RULES)") }
        return out
    }()
    /// The files that can be replaced: the packs' own (not the shared calendars), in a fixed order.
    static let targets: [String] = files.keys.filter { $0.hasSuffix(".yaml") }.sorted()
    static let packs: [String] = Set(targets.compactMap { path -> String? in
        let parts = path.split(separator: "/")
        return parts.count >= 3 && parts[1] != "calendars" ? "rules/\(parts[1])" : nil
    }).sorted()

    static func run(_ input: [UInt8]) {
        guard let first = input.first else { return }
        let target = targets[Int(first) % targets.count]
        var files = files
        files[target] = Array(input.dropFirst())
        // The pack the replaced file belongs to (a calendar file: every pack that might use it).
        let owners = packs.filter { target.hasPrefix($0 + "/") }
        for pack in owners.isEmpty ? packs : owners {
            do {
                _ = try RulePackLoader().load(directory: pack, from: MemoryFileSource(bytes: files))
            } catch let error as RulePackError {
                let errors = error.diagnostics.filter { $0.severity == .error }
                if errors.isEmpty { fatalError("a refusal without an error: \(error)") }
                for d in errors {
                    let synthetic = d.location.file.hasPrefix("<")
                    if !synthetic && !(d.location.file.hasPrefix("rules/") && d.location.line >= 1) {
                        fatalError("an error without a place in the pack: \(d)")
                    }
                }
            } catch {
                fatalError("the loader threw something other than RulePackError: \(error)")
            }
        }
    }
}

/// libFuzzer's entry point for each input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzPack.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

#if FUZZING
/// libFuzzer's driver (in the toolchain's libFuzzer runtime, linked by -sanitize=fuzzer).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt
#endif

@main
struct FuzzPackMain {
    static func main() throws {
        #if FUZZING
        // SwiftPM links executables with their own entry point, so libFuzzer's `main` is not the
        // one that runs: hand the command line to its driver.
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv) { data, size in fuzzOne(data, size) })
        #else
        let paths = CommandLine.arguments.dropFirst()
        guard !paths.isEmpty else {
            print("usage: kesu-fuzz-pack INPUT…   (replays fuzz inputs through the pack loader; see scripts/fuzz-pack)")
            return
        }
        for path in paths {
            FuzzPack.run([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
            print("\(path): handled")
        }
        #endif
    }
}

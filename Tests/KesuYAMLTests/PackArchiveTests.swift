import Foundation
import KesuKernel
import KesuTestSupport
import KesuYAML
import Testing

@Suite("pack archives: a candidate pack uploaded as a zip")
struct PackArchiveTests {
    /// Made with Python's zipfile (deflate): my-pack/pack.yaml, my-pack/tests/a.yaml and a __MACOSX entry.
    static let deflated = "UEsDBBQAAAAIADtQh138Z2pSFAAAABgBAAARAAAAbXktcGFjay9wYWNrLnlhbWwrSEzOtlKozkyxUqio5SoY5UF5AFBLAwQUAAAACAA7UIdd3bz+yBMAAACCAAAAFAAAAG15LXBhY2svdGVzdHMvYS55YW1sy0vMTbVSeLa1+8X6qVx5A8EBAFBLAwQUAAAACAA7UIddOZz7BgYAAAAEAAAAFAAAAF9fTUFDT1NYLy5fcGFjay55YW1syyrNywYAUEsBAhQDFAAAAAgAO1CHXfxnalIUAAAAGAEAABEAAAAAAAAAAAAAAIABAAAAAG15LXBhY2svcGFjay55YW1sUEsBAhQDFAAAAAgAO1CHXd28/sgTAAAAggAAABQAAAAAAAAAAAAAAIABQwAAAG15LXBhY2svdGVzdHMvYS55YW1sUEsBAhQDFAAAAAgAO1CHXTmc+wYGAAAABAAAABQAAAAAAAAAAAAAAIABiAAAAF9fTUFDT1NYLy5fcGFjay55YW1sUEsFBgAAAAADAAMAwwAAAMAAAAAAAA=="

    @Test("a deflated zip of a folder: files relative to the folder with pack.yaml, UTF-8 intact, Mac junk skipped")
    func deflated() throws {
        let archive = try PackArchive(zip: [UInt8](Data(base64Encoded: Self.deflated)!))
        #expect(archive.folder == "my-pack")
        #expect(archive.files.keys.sorted() == ["pack.yaml", "tests/a.yaml"])
        #expect(String(decoding: archive.files["pack.yaml"]!, as: UTF8.self) == String(repeating: "pack: {id: x}\n", count: 20))
        #expect(String(decoding: archive.files["tests/a.yaml"]!, as: UTF8.self).hasPrefix("name: 测试\n"))
    }

    @Test("stored entries at the top level are read as they are")
    func stored() throws {
        let zip = ZipWriter.zip(["pack.yaml": Array("pack: {}\n".utf8), "routing.yaml": Array("routing: []\n".utf8)])
        let archive = try PackArchive(zip: zip)
        #expect(archive.folder == "")
        #expect(archive.files["routing.yaml"] == Array("routing: []\n".utf8))
    }

    @Test("refused with a reason: not a zip, no pack.yaml, a path out of the folder, a damaged entry, too large")
    func refusals() throws {
        func reason(_ bytes: [UInt8], _ limits: PackArchive.Limits = .init()) -> String {
            do { _ = try PackArchive(zip: bytes, limits: limits); return "accepted" } catch { return "\(error)" }
        }
        #expect(reason(Array("just text, not an archive at all".utf8)).contains("not a zip archive"))
        #expect(reason(ZipWriter.zip(["readme.md": [65]])).contains("no pack.yaml"))
        #expect(reason(ZipWriter.zip(["pack.yaml": [65], "../evil.yaml": [66]])).contains("outside the folder"))
        var damaged = ZipWriter.zip(["pack.yaml": Array("pack: {}\n".utf8)])
        damaged[30 + "pack.yaml".count] ^= 0xFF   // the first byte of the entry's data
        #expect(reason(damaged).contains("checksum"))
        #expect(reason(ZipWriter.zip(["pack.yaml": [UInt8](repeating: 65, count: 2000)]), .init(maxTotalBytes: 1000)).contains("inflates to more"))
    }

    @Test("a candidate reads its own files inside its folder and the calendars it includes from outside")
    func candidateSource() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = root.appendingPathComponent("rules/tobacco-prefecture").path
        let (files, _) = try CandidatePacks.files(folder: folder)
        var changed = files
        changed["routing.yaml"] = files["routing.yaml"]!.replacingOccurrences(of: "    unit: finance\n", with: "    unit: no_such_unit\n")
        let bad = PackCandidate(id: "t", source: .upload, origin: "x.zip", root: folder, files: changed, by: "wu_jing", at: Date())
        guard case let .failure(e) = CandidatePacks.load(bad, outside: nil) else { Issue.record("a pack routing to no unit loaded"); return }
        let error = try #require(e.diagnostics.first { $0.severity == .error })
        #expect(error.location.file == folder + "/routing.yaml")
        #expect(error.message.contains("no_such_unit"))
        let good = PackCandidate(id: "t", source: .upload, origin: "x.zip", root: folder, files: files, by: "wu_jing", at: Date())
        guard case let .success(loaded) = CandidatePacks.load(good, outside: nil) else { Issue.record("the shipped pack did not load as a candidate"); return }
        #expect(loaded.pack.version == (try RulePackLoader().load(directory: folder)).pack.version)
    }
}

import Foundation
import KesuKernel
import KesuYAML
import Testing

/// Pinning cases to their rules: a loaded pack's snapshot loads the same pack again, from memory.
@Suite struct SnapshotTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let shipped = ["tobacco-prefecture", "online-service", "after-sales", "county-example"]

    static func shippedPack(_ name: String) -> String { packageRoot + "/rules/" + name }

    /// What a pack routes, times and checks, for comparing two loads.
    static func summary(_ loaded: LoadedPack) -> [String] {
        let p = loaded.pack
        return [
            p.version, p.info.id, p.info.caseNumberPrefix,
            p.routing.map { "\($0.id)@\($0.location)" }.joined(separator: ","),
            p.clocks.map { "\($0.id):\($0.length)" }.joined(separator: ","),
            p.procedure.states.map(\.id).joined(separator: ","),
            p.procedure.transitions.map(\.id).joined(separator: ","),
            p.scoring.rules.map(\.id).joined(separator: ","),
            p.people.map(\.id).joined(separator: ","),
            "\(p.calendar.holidays.count) holidays, \(p.calendar.workdays.count) workdays",
            p.validate().map(\.description).joined(separator: "\n"),
            loaded.warnings.map(\.description).joined(separator: "\n"),
        ]
    }

    @Test(arguments: shipped)
    func aShippedPackLoadsTheSameFromItsSnapshot(_ name: String) throws {
        let disk = try RulePackLoader().load(directory: Self.shippedPack(name))
        let snapshot = disk.snapshot
        #expect(snapshot.version == disk.pack.version)
        #expect(snapshot.packID == disk.pack.info.id && snapshot.name == disk.pack.info.name)
        #expect(snapshot.root == Self.shippedPack(name))
        // Every file read, by the path used to read it, with its text.
        #expect(Set(snapshot.files.keys) == Set(disk.files))
        for (path, text) in snapshot.files {
            #expect(try String(contentsOfFile: path, encoding: .utf8) == text, "\(path)")
        }

        let memory = try RulePackLoader().load(snapshot: snapshot)
        #expect(memory.pack.version == disk.pack.version)
        #expect(Self.summary(memory) == Self.summary(disk))
        #expect(memory.files == disk.files)
        #expect(memory.snapshot == snapshot)

        // Through JSON (as a store keeps it) and back.
        let data = try JSONEncoder().encode(snapshot)
        let decoded = try JSONDecoder().decode(PackSnapshot.self, from: data)
        #expect(decoded == snapshot)
        #expect(try RulePackLoader().load(snapshot: decoded).pack.version == disk.pack.version)
    }

    @Test func theCountyExampleSnapshotHoldsItsParentAndCalendar() throws {
        let county = Self.shippedPack("county-example")
        let loaded = try RulePackLoader().load(directory: county)
        let keys = Set(loaded.snapshot.files.keys)
        #expect(keys.contains(county + "/pack.yaml") && keys.contains(county + "/routing.yaml"))
        #expect(keys.contains(Self.packageRoot + "/rules/tobacco-prefecture/procedure.yaml"))
        #expect(keys.contains(Self.packageRoot + "/rules/calendars/cn-2024-2026.yaml"))
        #expect(!keys.contains { $0.contains("/scenarios/") })
        // The county's own changes: R1b replaced in place, R5b before the fallback, a shorter answer clock.
        let pack = loaded.pack
        #expect(pack.routing.map(\.id) == [
            "R1a-marketing-county", "R1b-marketing", "R2a-logistics-county", "R2b-logistics", "R3-license-county",
            "R4a-settlement-county", "R4b-settlement", "R5-leaf-county", "R5b-leaf-county-seat", "R6-fallback",
        ])
        #expect(pack.routing[1].target == .unit("county_a"))
        #expect(pack.routing[1].location.file == county + "/routing.yaml")
        #expect(pack.routing[0].location.file == Self.packageRoot + "/rules/tobacco-prefecture/routing.yaml")
        #expect(pack.clock("answer")?.length == .workingDays(2, .endOfDay))
        #expect(pack.clock("callback")?.length == .workingDays(3, .endOfDay))
        #expect(pack.info.caseNumberPrefix == "JX")
        #expect(loaded.warnings.isEmpty)
    }

    @Test func aSnapshotWithRelativePathsLoadsFromMemoryAlone() throws {
        // The same files named relative to the package folder, as `kesu --rules rules/county-example` names them.
        let disk = try RulePackLoader().load(directory: Self.shippedPack("county-example"))
        var files: [String: String] = [:]
        for (path, text) in disk.snapshot.files { files[String(path.dropFirst(Self.packageRoot.count + 1))] = text }
        #expect(files.keys.contains("rules/tobacco-prefecture/routing.yaml"))
        var snapshot = disk.snapshot
        snapshot.root = "rules/county-example"
        snapshot.files = files
        let memory = try RulePackLoader().load(snapshot: snapshot)
        #expect(memory.pack.version == disk.pack.version)
        #expect(memory.pack.routing[0].location.description == "rules/tobacco-prefecture/routing.yaml:7:5")
        #expect(memory.files.first == "rules/county-example/pack.yaml")
        #expect(memory.snapshot.files == files)
    }

    @Test func anEditedSnapshotHasAnotherVersion() throws {
        let disk = try RulePackLoader().load(directory: Self.shippedPack("county-example"))
        let parentRouting = Self.packageRoot + "/rules/tobacco-prefecture/routing.yaml"
        var edited = disk.snapshot
        edited.files[parentRouting] = try #require(edited.files[parentRouting]).replacingOccurrences(of: "物流中心", with: "物流中心(配送)")
        let loaded = try RulePackLoader().load(snapshot: edited)
        #expect(loaded.pack.version != disk.pack.version)
        #expect(loaded.pack.version != edited.version)   // the snapshot's recorded version no longer matches its texts
        #expect(loaded.pack.routing.first { $0.id == "R2b-logistics" }?.name.contains("物流中心(配送)") == true)

        // A file missing from the snapshot is reported where it is named.
        var missing = disk.snapshot
        missing.files[Self.packageRoot + "/rules/calendars/cn-2024-2026.yaml"] = nil
        do {
            _ = try RulePackLoader().load(snapshot: missing)
            Issue.record("expected a refusal")
        } catch let error as RulePackError {
            #expect(error.diagnostics.contains {
                $0.location.file == Self.packageRoot + "/rules/tobacco-prefecture/pack.yaml" && $0.message.contains("not found")
            }, "\(error)")
        }
    }

    @Test func memoryFilesImplyTheirDirectories() {
        let source = MemoryFileSource([
            "rules/a/pack.yaml": "pack: {}", "rules/a/routing.yaml": "", "rules/a/tests/x.yaml": "",
            "rules/calendars/c.yaml": "", "../up/p.yaml": "", "top.yaml": "",
        ])
        #expect(source.isDirectory("rules") && source.isDirectory("rules/a") && source.isDirectory("./rules/a/"))
        #expect(source.isDirectory("rules/a/tests") && source.isDirectory(".."))
        #expect(!source.isDirectory("rules/a/pack.yaml") && !source.isDirectory("rules/b"))
        #expect(source.exists("rules/a/pack.yaml") && source.exists("rules/x/../a/pack.yaml") && !source.exists("rules/a/nope.yaml"))
        #expect(source.list(directory: "rules/a") == ["pack.yaml", "routing.yaml", "tests"])
        #expect(source.list(directory: ".") == ["rules", "top.yaml"])
        #expect(source.list(directory: "rules") == ["a", "calendars"])
        #expect(source.read("rules/a/pack.yaml") == Array("pack: {}".utf8))
        #expect(source.read("rules/a") == nil)
    }
}

@Suite struct StoredPackResolverTests {
    @Test func rebuildsAVersionFromTheSourcesAStoreKept() async throws {
        let loaded = try RulePackLoader().load(directory: SnapshotTests.shippedPack("county-example"))
        let store = MemoryStore()
        let resolver = StoredPackResolver(store: store)
        #expect(try await resolver.pack(version: loaded.pack.version) == nil)
        try await store.savePack(loaded.snapshot, at: Date(timeIntervalSince1970: 0))
        let pack = try #require(try await resolver.pack(version: loaded.pack.version))
        #expect(pack.version == loaded.pack.version)
        #expect(pack.routing.map(\.id) == loaded.pack.routing.map(\.id))
    }
}

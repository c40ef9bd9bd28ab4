import Foundation
import KesuKernel
import KesuYAML
import Testing
import Yams

/// docs/rule-pack.schema.json and docs/calendar.schema.json say exactly what the loader reads
/// (PackVocabulary.swift), and accept every shipped pack.
@Suite struct PackSchemaTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let packs = ["tobacco-prefecture", "online-service", "after-sales", "county-example"]
    /// Keys the schema allows on items of a pack that extends another; not read from the vocabulary.
    static let mergeKeys: Set<String> = ["before", "after", "remove"]

    static func schema(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: repoRoot.appendingPathComponent("docs/\(name)"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func defs(_ schema: [String: Any]) -> [String: [String: Any]] {
        (schema["$defs"] as? [String: Any] ?? [:]).compactMapValues { $0 as? [String: Any] }
    }

    @Test func schemaObjectsAreExactlyTheVocabulary() throws {
        let pack = try Self.schema("rule-pack.schema.json")
        let calendar = try Self.schema("calendar.schema.json")
        #expect(pack["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        #expect(pack["$ref"] as? String == "#/$defs/pack_file")
        #expect(calendar["$ref"] as? String == "#/$defs/calendar_file")

        var seen: Set<String> = []
        for (file, schema) in [("rule-pack.schema.json", pack), ("calendar.schema.json", calendar)] {
            for (name, def) in Self.defs(schema) {
                guard let properties = def["properties"] as? [String: Any] else { continue }  // value helpers
                seen.insert(name)
                guard let keys = PackVocabulary.objects[name] else {
                    Issue.record("\(file): $defs/\(name) is an object the loader does not know (not in PackVocabulary)")
                    continue
                }
                let schemaKeys = Set(properties.keys).subtracting(Self.mergeKeys)
                #expect(schemaKeys == Set(keys), "\(file): $defs/\(name) has \(schemaKeys.sorted()); the loader reads \(keys.sorted())")
                #expect(def["additionalProperties"] as? Bool == false, "\(file): $defs/\(name) must forbid other keys")
                // Merge keys: on every list item with an id (the `pack` section is no list item), nowhere else.
                let merge = Set(properties.keys).intersection(Self.mergeKeys)
                let listItem = keys.contains("id") && name != "pack"
                #expect(merge == (listItem ? Self.mergeKeys : []), "\(file): $defs/\(name) merge keys \(merge.sorted())")
            }
        }
        let vocabulary = Set(PackVocabulary.objects.keys)
        #expect(vocabulary.isSubset(of: seen), "in the vocabulary, in no schema: \(vocabulary.subtracting(seen).sorted())")
        #expect(RulePackLoader.sections == PackVocabulary.keys("pack_file"))
        #expect(PackVocabulary.keys("pack").contains("extends"))
        // The calendar schema's copies are the pack schema's.
        for name in ["calendar_file", "dated_day"] {
            let a = try JSONSerialization.data(withJSONObject: Self.defs(pack)[name] ?? [:], options: .sortedKeys)
            let b = try JSONSerialization.data(withJSONObject: Self.defs(calendar)[name] ?? [:], options: .sortedKeys)
            #expect(a == b, "$defs/\(name) differs between the two schema files")
        }
    }

    @Test(arguments: packs)
    func schemaAcceptsEveryKeyOfAShippedPack(_ name: String) throws {
        let walker = SchemaWalker(schema: try Self.schema("rule-pack.schema.json"))
        let dir = Self.repoRoot.appendingPathComponent("rules/\(name)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files.contains("pack.yaml"))
        var problems: [String] = []
        for file in files {
            let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
            #expect(text.hasPrefix("# yaml-language-server: $schema=../../docs/rule-pack.schema.json\n"), "\(file) has no schema modeline")
            guard let node = try Yams.compose(yaml: text) else { continue }
            problems += walker.check(node, file: "\(name)/\(file)")
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test func schemaAcceptsEveryKeyOfTheShippedCalendarAndTheTestFixture() throws {
        let calendarWalker = SchemaWalker(schema: try Self.schema("calendar.schema.json"))
        let text = try String(contentsOf: Self.repoRoot.appendingPathComponent("rules/calendars/cn-2024-2026.yaml"), encoding: .utf8)
        #expect(text.hasPrefix("# yaml-language-server: $schema=../../docs/calendar.schema.json\n"))
        var problems = calendarWalker.check(try #require(try Yams.compose(yaml: text)), file: "cn-2024-2026.yaml")
        problems += calendarWalker.check(try #require(try Yams.compose(yaml: Fixture.calendar)), file: "fixture cal.yaml")
        // The loader tests' fixture uses keys the shipped packs do not (pause, working_minutes_after_due, read_only …).
        let packWalker = SchemaWalker(schema: try Self.schema("rule-pack.schema.json"))
        for (file, text) in Fixture.good.sorted(by: { $0.key < $1.key }) {
            problems += packWalker.check(try #require(try Yams.compose(yaml: text)), file: "fixture \(file)")
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test func walkerRejectsWhatTheSchemaForbids() throws {
        let walker = SchemaWalker(schema: try Self.schema("rule-pack.schema.json"))
        let node = try #require(try Yams.compose(yaml: """
            rouls: []
            routing:
              - {id: R1, when: {kind: {equals: complaint}}, unitt: x}
              - {id: R2, unit_from: county}
            clocks:
              - {id: c, working_days: 1, ends: whenever, start: [intake], stop: [x]}
            """))
        let problems = walker.check(node, file: "bad.yaml")
        #expect(problems.contains { $0.contains("bad.yaml:1:1") && $0.contains("'rouls'") })
        #expect(problems.contains { $0.contains("bad.yaml:3:49") && $0.contains("'unitt'") })
        #expect(problems.contains { $0.contains("'county'") })
        #expect(problems.contains { $0.contains("'whenever'") })
        #expect(problems.count == 4, "\(problems)")
    }
}

/// A small JSON Schema walker, enough for these schemas: follows `$ref` (within the file), picks the `oneOf` /
/// `anyOf` branch of the node's kind, checks mapping keys against `properties` / `additionalProperties`, list items
/// against `items`, and scalars against `enum` and `pattern`. `if`/`then`/`else` and `allOf` (which only say what is
/// required) are not checked: this asks whether the schema could reject a file, key by key.
struct SchemaWalker {
    let schema: [String: Any]
    var defs: [String: Any] { schema["$defs"] as? [String: Any] ?? [:] }

    func check(_ node: Node, file: String) -> [String] {
        var problems: [String] = []
        walk(node, schema, at: "", file: file, &problems)
        return problems
    }

    func resolve(_ s: [String: Any]) -> [String: Any] {
        var s = s
        while let ref = s["$ref"] as? String, ref.hasPrefix("#/$defs/"), let target = defs[String(ref.dropFirst(8))] as? [String: Any] {
            var merged = target
            for (k, v) in s where k != "$ref" && k != "description" { merged[k] = v }
            s = merged
        }
        return s
    }

    enum Kind: String { case object, array, scalar }

    func kind(of s: [String: Any]) -> Kind {
        let types = (s["type"] as? String).map { [$0] } ?? (s["type"] as? [String] ?? [])
        if types.contains("object") || (types.isEmpty && s["properties"] != nil) { return .object }
        if types.contains("array") || (types.isEmpty && s["items"] != nil) { return .array }
        return .scalar
    }

    func kind(of node: Node) -> Kind {
        switch node {
        case .mapping: .object
        case .sequence: .array
        default: .scalar
        }
    }

    func place(_ node: Node, _ file: String) -> String {
        "\(file):\(node.mark?.line ?? 0):\(node.mark?.column ?? 0)"
    }

    func walk(_ node: Node, _ raw: [String: Any], at path: String, file: String, _ problems: inout [String]) {
        var s = resolve(raw)
        if let branches = (s["oneOf"] ?? s["anyOf"]) as? [[String: Any]], s["properties"] == nil {
            guard let branch = branches.map(resolve).first(where: { kind(of: $0) == kind(of: node) }) else {
                problems.append("\(place(node, file)): \(path) allows no \(kind(of: node).rawValue) here")
                return
            }
            s = branch
        }
        guard s["enum"] != nil || kind(of: s) == kind(of: node) else {
            problems.append("\(place(node, file)): \(path) should be a \(kind(of: s).rawValue), found a \(kind(of: node).rawValue)")
            return
        }
        switch node {
        case let .mapping(map):
            let properties = s["properties"] as? [String: Any] ?? [:]
            for (key, value) in map {
                let name = key.scalar?.string ?? ""
                if let p = properties[name] as? [String: Any] {
                    walk(value, p, at: "\(path)/\(name)", file: file, &problems)
                } else if let additional = s["additionalProperties"] as? [String: Any] {
                    walk(value, additional, at: "\(path)/\(name)", file: file, &problems)
                } else if s["additionalProperties"] as? Bool == false {
                    problems.append("\(place(key, file)): key '\(name)' is not allowed at \(path.isEmpty ? "the top" : path)")
                }
            }
        case let .sequence(items):
            guard let item = s["items"] as? [String: Any] else { return }
            for (i, value) in items.enumerated() { walk(value, item, at: "\(path)/\(i)", file: file, &problems) }
        case let .scalar(scalar):
            let text = scalar.string
            if let values = s["enum"] as? [Any] {
                let allowed = values.map { v in (v as? Bool).map { $0 ? "true" : "false" } ?? "\(v)" }
                if !allowed.contains(text) { problems.append("\(place(node, file)): '\(text)' is not one of \(allowed) at \(path)") }
            }
            if let pattern = s["pattern"] as? String, let re = try? NSRegularExpression(pattern: pattern),
               re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                problems.append("\(place(node, file)): '\(text)' does not match \(pattern) at \(path)")
            }
        case .alias:
            break
        }
    }
}

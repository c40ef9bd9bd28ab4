import Foundation
import KesuKernel
import Yams

/// Reads a deployment file (`kesu.yaml`), reporting every problem with its file:line:column.
///
/// Reading checks the shape (known top-level keys, a `driver` in every entry, a `name` for
/// every notifier, no name twice); whether a driver and its options exist is the registries'
/// business (`DeploymentConfig.check(with:)`), since only the program knows what it registered.
public struct DeploymentConfigLoader: Sendable {
    public init() {}

    /// Reads the file, throwing `ConfigurationError` with every problem found in its shape.
    public func load(path: String) throws -> DeploymentConfig {
        let (config, diagnostics) = read(path: path)
        if diagnostics.hasErrors { throw ConfigurationError(diagnostics) }
        return config
    }

    /// Reads the file and returns what could be read with the problems found on the way.
    public func read(path: String) -> (DeploymentConfig, [Diagnostic]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            return (DeploymentConfig(file: path), [.error(SourceLocation(file: path, line: 1, column: 1),
                                                         "cannot read the deployment file '\(path)'")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return (DeploymentConfig(file: path), [.error(SourceLocation(file: path, line: 1, column: 1), "file is not UTF-8 text")])
        }
        return read(text: text, file: path)
    }

    /// Reads YAML text as if it were the file `file` (which also decides where relative paths start).
    public func read(text: String, file: String) -> (DeploymentConfig, [Diagnostic]) {
        let sink = DiagnosticSink()
        let reader = NodeReader(file: file, sink: sink)
        var config = DeploymentConfig(file: file)
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            let (mark, message) = LoadSession.describe(error)
            return (config, [.error(SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1), message)])
        } catch {
            return (config, [.error(reader.start, "YAML error: \(error)")])
        }
        guard let node, !NodeReader.isNull(node) else { return (config, []) }  // an empty file: defaults
        guard let top = reader.mapping(node, "the deployment file", allowed: DeploymentConfig.keys) else {
            return (config, sink.items)
        }
        let base = config.baseDirectory
        if let rules = top.string("rules") {
            config.rules = rules
            config.rulesLocation = top.valueLocation("rules")
        }
        if let s = top["storage"] {
            config.storage = driver(s, "storage", reader: reader, base: base)
        }
        if let s = top["scoring"] {
            config.scoring = driver(s, "scoring", reader: reader, base: base)
        }
        if top.has("notifiers") {
            var channels: [DeploymentConfig.Channel] = []
            var seen: [String: SourceLocation] = [:]
            for (i, item) in top.list("notifiers").enumerated() {
                guard let d = driver(item, "notifier #\(i + 1)", reader: reader, base: base, named: true),
                      let name = d.options["name"]?.text else { continue }
                let nameLocation = d.valueLocation("name")
                var cfg = d
                cfg.options["name"] = nil
                cfg.what = "notifier '\(name)'"
                if let first = seen[name] {
                    sink.error(nameLocation, "notifier '\(name)' is named twice (first at \(first))")
                    continue
                }
                seen[name] = nameLocation
                channels.append(.init(name: name, nameLocation: nameLocation, driver: cfg))
            }
            config.notifiers = channels
        } else if let value = node.mapping?["notifiers"], NodeReader.isNull(value) {
            config.notifiers = []  // `notifiers:` with nothing after it: no channels
        }
        return (config, sink.items)
    }

    /// An entry `{driver: NAME, option: value, …}` as a `DriverConfig`; `named` entries must have a `name`.
    func driver(_ node: Node, _ what: String, reader: NodeReader, base: String?, named: Bool = false) -> DriverConfig? {
        guard case let .mapping(map) = node else {
            reader.error(node, "expected a mapping with a 'driver' for \(what), found \(NodeReader.describe(node))")
            return nil
        }
        var config = DriverConfig(driver: "", what: what, location: reader.location(node), baseDirectory: base)
        var ok = true
        for (key, value) in map {
            guard case let .scalar(k) = key else {
                reader.error(key, "expected a string key in \(what), found \(NodeReader.describe(key))")
                ok = false
                continue
            }
            if NodeReader.isNull(value) { continue }
            if k.string == "driver" {
                guard let name = reader.string(value, "'driver' of \(what)") else { ok = false; continue }
                config.driver = name
                config.driverLocation = reader.location(value)
                continue
            }
            guard let v = self.value(value, "'\(k.string)' of \(what)", reader: reader) else { ok = false; continue }
            config.options[k.string] = v
            config.keyLocations[k.string] = reader.location(key)
            config.valueLocations[k.string] = reader.location(value)
        }
        if config.driver.isEmpty {
            reader.error(node, "\(what) is missing required key 'driver'")
            ok = false
        }
        if named {
            switch config.options["name"] {
            case nil:
                reader.error(node, "\(what) is missing required key 'name'")
                ok = false
            case let .string(s)? where !s.isEmpty: break
            case let v?:
                reader.sink.error(config.valueLocation("name"), "expected a name for 'name' of \(what), found \(v.kindName)")
                ok = false
            }
        }
        return ok ? config : nil
    }

    /// A YAML node as a `ConfigValue`: plain scalars that read as numbers or booleans become those.
    func value(_ node: Node, _ what: String, reader: NodeReader) -> ConfigValue? {
        switch node {
        case let .scalar(s):
            if s.style != .plain { return .string(s.string) }
            switch s.string {
            case "true", "True", "TRUE": return .bool(true)
            case "false", "False", "FALSE": return .bool(false)
            default: break
            }
            if let n = Double(s.string), n.isFinite, s.string.first.map({ $0.isNumber || $0 == "-" || $0 == "+" || $0 == "." }) == true {
                return .number(n)
            }
            return .string(s.string)
        case let .sequence(seq):
            var out: [ConfigValue] = []
            for item in seq {
                guard let v = value(item, "an entry of \(what)", reader: reader) else { return nil }
                out.append(v)
            }
            return .list(out)
        case let .mapping(map):
            var out: [String: ConfigValue] = [:]
            for (k, v) in map {
                guard case let .scalar(ks) = k else {
                    reader.error(k, "expected a string key in \(what), found \(NodeReader.describe(k))")
                    return nil
                }
                if NodeReader.isNull(v) { continue }
                guard let x = value(v, "'\(ks.string)' of \(what)", reader: reader) else { return nil }
                out[ks.string] = x
            }
            return .map(out)
        case .alias:
            reader.error(node, "aliases are not supported in \(what)")
            return nil
        }
    }
}

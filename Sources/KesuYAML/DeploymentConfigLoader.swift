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
        for (i, item) in top.list("subscriptions").enumerated() {
            if let s = subscription(item, "subscription #\(i + 1)", reader: reader) { config.subscriptions.append(s) }
        }
        var sourceNames: [String: SourceLocation] = [:]
        for (i, item) in top.list("sources").enumerated() {
            guard let source = source(item, "source #\(i + 1)", reader: reader, base: base) else { continue }
            if let first = sourceNames[source.name] {
                sink.error(source.nameLocation, "source '\(source.name)' is named twice (first at \(first))")
                continue
            }
            sourceNames[source.name] = source.nameLocation
            config.sources.append(source)
        }
        return (config, sink.items)
    }

    static let subscriptionKeys = ["channel", "events", "where", "personal_data"]

    /// `{channel: NAME, events: [TYPE | transition:ID | *], where: {field: value | [values]}, personal_data: BOOL}`.
    func subscription(_ node: Node, _ what: String, reader: NodeReader) -> Subscription? {
        guard let m = reader.mapping(node, what, allowed: Self.subscriptionKeys, required: ["channel", "events"]),
              let channel = m.string("channel") else { return nil }
        var selectors: [Subscription.Selector] = []
        let items: [Node] = m["events"].map { n in if case let .sequence(seq) = n { Array(seq) } else { [n] } } ?? []
        var ok = true
        for item in items {
            guard let text = reader.string(item, "an entry of 'events' of \(what)") else { ok = false; continue }
            let selector = Subscription.Selector(text)
            if case let .type(t) = selector, !CaseEvents.types.contains(t) {
                reader.error(item, "unknown event type '\(t)' in \(what)"
                    + Suggest.hint(for: t, in: CaseEvents.types) + " (or transition:ID, or * for every event)")
                ok = false
                continue
            }
            if case let .transition(id) = selector, id.isEmpty {
                reader.error(item, "'transition:' needs a transition id in \(what), e.g. transition:approve_answer")
                ok = false
                continue
            }
            selectors.append(selector)
        }
        if items.isEmpty, m.has("events") { reader.error(m["events"]!, "\(what) needs at least one event type"); ok = false }
        var conditions: [FieldCondition] = []
        if let w = m["where"] {
            if case let .mapping(map) = w {
                for (k, v) in map {
                    guard let field = reader.string(k, "a field of 'where' of \(what)") else { ok = false; continue }
                    let at = reader.location(k)
                    if case let .sequence(seq) = v {
                        conditions.append(FieldCondition(field: field, test: .oneOf(seq.compactMap { reader.string($0, "'\(field)' of 'where'") }), location: at))
                    } else if let value = reader.string(v, "'\(field)' of 'where' of \(what)") {
                        conditions.append(FieldCondition(field: field, test: .equals(value), location: at))
                    } else { ok = false }
                }
            } else { reader.error(w, "expected a mapping of field: value for 'where' of \(what)"); ok = false }
        }
        guard ok else { return nil }
        return Subscription(channel: channel, events: selectors, conditions: conditions,
                            personalData: m.bool("personal_data"), location: m.location)
    }

    /// `{name: NAME, driver: exec, plugin: DIR, options: {…}, every: SECONDS, actor: PERSON, fields: {…}, limit: N}`.
    func source(_ node: Node, _ what: String, reader: NodeReader, base: String?) -> DeploymentConfig.Source? {
        guard var d = driver(node, what, reader: reader, base: base, named: true), let name = d.options["name"]?.text else { return nil }
        let nameLocation = d.valueLocation("name")
        d.what = "source '\(name)'"
        var ok = true
        func take(_ key: String) -> (ConfigValue, SourceLocation)? {
            guard let v = d.options[key] else { return nil }
            defer { d.options[key] = nil }
            return (v, d.valueLocation(key))
        }
        _ = take("name")
        var every = 60, limit = 50
        if let (v, at) = take("every") {
            if case let .number(n) = v, n >= 1, n == n.rounded() { every = Int(n) }
            else { reader.sink.error(at, "expected whole seconds (1 or more) for 'every' of source '\(name)', found \(v.kindName)"); ok = false }
        }
        if let (v, at) = take("limit") {
            if case let .number(n) = v, n >= 1, n <= 1000, n == n.rounded() { limit = Int(n) }
            else { reader.sink.error(at, "expected a whole number from 1 to 1000 for 'limit' of source '\(name)', found \(v.kindName)"); ok = false }
        }
        var actor = "", actorLocation = d.location
        if let (v, at) = take("actor") {
            actor = v.text ?? ""
            actorLocation = at
        }
        if actor.isEmpty {
            reader.sink.error(d.location, "source '\(name)' needs 'actor': the person (a clerk of the pack) who registers what it brings")
            ok = false
        }
        var fields: [String: String] = [:]
        if let (v, at) = take("fields") {
            if case let .map(m) = v { for (k, x) in m { fields[k] = x.text ?? x.description } }
            else { reader.sink.error(at, "expected a mapping of field: value for 'fields' of source '\(name)'"); ok = false }
        }
        guard ok else { return nil }
        return DeploymentConfig.Source(name: name, nameLocation: nameLocation, driver: d, every: every, actor: actor,
                                       actorLocation: actorLocation, fields: fields, limit: limit)
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

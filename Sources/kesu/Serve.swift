import ArgumentParser
import Foundation
import KesuKernel
import KesuServer
import Logging
import Metrics
import Prometheus

/// `kesu serve`: the HTTP API (docs/openapi.yaml) with the sweep on a schedule.
struct Serve: KesuCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the web console and the HTTP API, with the sweep on a schedule and rules reloaded on SIGHUP.",
        discussion: """
        The console is at http://HOST:PORT/ (docs/console.md): on a store without console logins the
        server prints a first-run setup link; `kesu logins add` creates logins too.
        API callers send Authorization: Bearer <token>; create tokens with `kesu users add --person ID`.
        The API is described in docs/openapi.yaml. /healthz, /readyz and /metrics need no token.
        """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "Address to listen on (env KESU_HOST).") var host: String?
    @Option(help: "Port to listen on (env KESU_PORT; default 8080).") var port: Int?
    @Option(name: .customLong("sweep-every"), help: "Seconds between sweeps (default 60).") var sweepEvery: Double = 60
    @Option(name: .customLong("max-body"), help: "Largest request body in bytes; larger ones get 413 (default 65536).") var maxBody: Int = 64 * 1024
    @Option(name: .customLong("attachment-max-mb"), help: "Largest attachment in MB (default 10); the upload alone may exceed --max-body.")
    var attachmentMaxMB: Double = 10
    @Option(name: .customLong("attachment-types"), help: "Media types accepted as attachments, comma-separated (default: PDF, JPEG, PNG, MP3, WAV, M4A, plain text, Word). HTML and SVG are never accepted.")
    var attachmentTypes: String?
    @Option(name: .customLong("log-level"), help: "The least severe log lines written.") var logLevel: Logger.Level = .info
    @Option(name: .customLong("log-format"), help: "Log lines as text, or as one JSON object per line.") var logFormat: LogFormat = .text
    @Option(name: .customLong("session-idle"), help: "Seconds a console session may stay unused before it ends (default 1800).") var sessionIdle: Int = 1800
    @Flag(name: .customLong("secure-cookies"), help: "Send console cookies over HTTPS only (behind a TLS proxy).") var secureCookies = false

    func validate() throws {
        try global.validateValues()
        guard sweepEvery > 0, maxBody > 0 else { throw ValidationError("--sweep-every and --max-body must be positive") }
        guard sessionIdle > 0 else { throw ValidationError("--session-idle must be a positive number of seconds, not \(sessionIdle)") }
        guard attachmentMaxMB > 0, attachmentMaxMB <= 1024 else { throw ValidationError("--attachment-max-mb must be more than 0 and at most 1024") }
        if let types = attachmentTypes {
            let list = Self.types(types)
            if list.isEmpty { throw ValidationError("--attachment-types needs at least one media type, e.g. application/pdf,image/jpeg") }
            for t in list {
                let parts = t.split(separator: "/")
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !t.contains(" ") else {
                    throw ValidationError("--attachment-types: '\(t)' is not a media type such as application/pdf")
                }
                if AttachmentLimits.neverTypes.contains(t) {
                    throw ValidationError("--attachment-types: \(t) is never accepted (a browser would run it as a page)")
                }
            }
        }
    }

    static func types(_ list: String) -> [String] {
        list.split(separator: ",").map { AttachmentLimits.baseType(String($0)) }.filter { !$0.isEmpty }
    }

    func run() async throws {
        try await guarded(global) {
            let level = logLevel
            let json = logFormat == .json
            LoggingSystem.bootstrap { label -> any LogHandler in
                if json { return JSONLogHandler(label: label, logLevel: level) }
                var h = StreamLogHandler.standardError(label: label)
                h.logLevel = level
                return h
            }
            let metrics = ServerMetrics()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))
            var logger = Logger(label: "kesu")
            logger.logLevel = level

            let parts = try global.deploymentParts()
            // --now (KESU_NOW) pins the server's clock, for demonstrations and tests.
            let clock: @Sendable () -> Date
            if global.setting(global.now, env: "KESU_NOW") != nil {
                let fixed = try global.currentTime()
                clock = { fixed }
            } else {
                clock = { Date() }
            }
            let rules = try LiveRules(rulesPath: global.rulesPath, at: clock(), makeEngine: parts.engine)
            var settings = ServerSettings(
                host: global.setting(host, env: "KESU_HOST") ?? "127.0.0.1",
                port: port ?? global.setting(nil, env: "KESU_PORT").flatMap(Int.init) ?? 8080,
                maxBodyBytes: maxBody, sweepInterval: .milliseconds(Int64(sweepEvery * 1000)), rulesPath: global.rulesPath,
                attachmentLimits: AttachmentLimits(maxBytes: Int(attachmentMaxMB * 1024 * 1024),
                                                   allowedTypes: attachmentTypes.map(Self.types) ?? AttachmentLimits.defaultTypes))
            settings.sources = parts.sources
            settings.console = ConsoleSettings(idleTimeout: .seconds(sessionIdle), secureCookies: secureCookies)
            let api = KesuAPI(rules: rules, settings: settings, metrics: metrics, logger: logger, now: clock)
            let info = rules.info
            logger.notice("kesu serving http://\(settings.host):\(settings.port)/ (API: docs/openapi.yaml)", metadata: [
                "rules": "\(info.id) \(info.label)", "version": "\(info.version.prefix(12))", "instance": "\(settings.instanceID)",
            ])
            // The store's connections (PostgreSQL) are a service of the server's group, which
            // closes them on graceful shutdown.
            // First run: nobody can sign in to the console yet, so the server prints a link that lets the administrator in.
            try await api.application(announceSetupLink: { link in
                FileHandle.standardOutput.write(Data("首次设置: \(link) （一小时内有效）\n".utf8))
            }).runService()
            logger.notice("kesu stopped")
        }
    }
}

/// One JSON object per line on stderr: time, level, label, message and metadata.
struct JSONLogHandler: LogHandler {
    /// One encoder for every line (a log line per request: no allocation of an encoder each time).
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        var o: [String: String] = ["time": ISO8601.format(Date(), in: TimeZone(identifier: "UTC")!), "level": level.rawValue,
                                   "label": label, "message": message.description]
        for (k, v) in metadata.merging(extra ?? [:], uniquingKeysWith: { $1 }) { o[k] = v.description }
        if let data = try? Self.encoder.encode(o) { FileHandle.standardError.write(data + Data("\n".utf8)) }
    }
}

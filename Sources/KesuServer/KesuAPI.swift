import Foundation
import Hummingbird
import KesuKernel
import Logging
import ServiceLifecycle

/// The server's shared state: the rules in force (and their engine), the accounts, settings,
/// metrics and the clock. `router()` builds the immutable responder from it.
public struct KesuAPI: Sendable {
    public let rules: LiveRules
    public let settings: ServerSettings
    public let metrics: ServerMetrics
    public let logger: Logger
    /// The clock: the system's in a deployment, a fixed or stepped one in tests.
    public let now: @Sendable () -> Date
    /// The accounts folded once and kept until their stream grows (one per server).
    let accountsCache = Accounts.Cache()
    /// The console's logins, likewise.
    let loginsCache = Logins.Cache()
    /// One deployment at a time on this instance; the rules desk's replay jobs running here.
    let deployGate = DeployGate()
    let replayJobs = ReplayJobs()

    public init(rules: LiveRules, settings: ServerSettings, metrics: ServerMetrics = ServerMetrics(), logger: Logger,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.rules = rules; self.settings = settings; self.metrics = metrics; self.logger = logger; self.now = now
    }

    public var accounts: Accounts { Accounts(store: rules.engine.store, cache: accountsCache) }
    public var sweeper: SweepService { SweepService(api: self) }

    /// Puts the pack folder's rules in force, or keeps the old ones and throws the pack's errors.
    /// The reload is recorded as a deployment of the folder, so every instance on the store follows it.
    @discardableResult
    public func reloadRules(reason: String, by: String = "kesu serve") async throws -> (previous: LiveRules.Info, current: LiveRules.Info) {
        do {
            let loaded = try await rules.loadFolder()
            let r = try await deploy(loaded, source: .folder, origin: rules.rulesPath, by: by, reason: reason)
            metrics.reload(outcome: "ok")
            logger.notice("rules reloaded", metadata: [
                "reason": "\(reason)", "previous": "\(r.previous.version.prefix(12))", "current": "\(r.current.version.prefix(12))",
                "warnings": "\(r.current.warnings.count)",
            ])
            return r
        } catch {
            metrics.reload(outcome: "refused")
            let lines = (error as? RulePackError)?.diagnostics.sortedByLocation().map(\.description) ?? ["\(error)"]
            logger.error("rules reload refused; the previous rules stay in force", metadata: [
                "reason": "\(reason)", "errors": "\(lines.joined(separator: " | "))",
            ])
            throw error
        }
    }

    /// On a store where nobody can sign in to the console yet, a new first-run setup link (valid
    /// for `settings.console.setupLinkLifetime`); nil once a login exists.
    public func consoleSetupLink() async throws -> String? { try await Console.setupLinkIfNeeded(api: self) }

    /// The routes: open operations endpoints, then `/v1` behind the token check.
    public func router() -> Hummingbird.Router<KesuRequestContext> { routerAndEndpoints().router }

    /// Every route the server answers, as docs/openapi.yaml must list them.
    public var endpoints: [Endpoint] { routerAndEndpoints().endpoints }

    func routerAndEndpoints() -> (router: Hummingbird.Router<KesuRequestContext>, endpoints: [Endpoint]) {
        let router = Hummingbird.Router(context: KesuRequestContext.self)
        // Outermost first: metrics and the log see the status of refusals too.
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: ErrorMiddleware())
        let ops = OperationsRoutes(api: self)
        let open = Registrar(router: router)
        ops.registerOpen(on: open)
        let v1 = Registrar(group: router.group("v1").add(middleware: AuthMiddleware(accounts: accounts, rules: rules)), prefix: "/v1/")
        CaseRoutes(api: self).register(on: v1)
        RuleRoutes(api: self).register(on: v1)
        ReportRoutes(api: self).register(on: v1)
        ProcedureRoutes(api: self).register(on: v1)
        EventFeedRoutes(api: self).register(on: v1)
        ops.register(on: v1)
        // The web console: its own pages and sign-in beside the API, not part of docs/openapi.yaml.
        Console(api: self).register(on: router)
        open.refuseOtherMethods()
        v1.refuseOtherMethods()
        return (router, open.endpoints + v1.endpoints)
    }

    /// The whole server: HTTP, the sweep on its schedule and the SIGHUP reload, with graceful
    /// shutdown on SIGTERM/SIGINT. A store with long-lived connections (PostgreSQL's pool) is a
    /// `Service` of the group too: it starts first and, as the group shuts down in reverse order,
    /// stops after everything that uses it.
    /// `announceSetupLink` receives the console's first-run link once the store is up, when no login exists.
    public func application(announceSetupLink: (@Sendable (String) -> Void)? = nil) -> some ApplicationProtocol {
        var app = Application(
            router: router(),
            server: .http1(additionalChannelHandlers: [UnparsableRequestHandler()]),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "kesu"),
            logger: logger)
        if let store = rules.engine.store as? any Service { app.addServices(store) }
        app.addServices(DeploymentService(api: self), SweepService(api: self), ReloadOnHangupService(api: self), SourcesService(api: self),
                        ReadModelService(api: self))
        if let announceSetupLink { app.addServices(SetupLinkService(api: self, announce: announceSetupLink)) }
        return app
    }
}

/// Issues and announces the console's first-run link once the store is running (PostgreSQL's pool
/// starts as a service of the same group), then waits for shutdown.
struct SetupLinkService: Service {
    let api: KesuAPI
    let announce: @Sendable (String) -> Void

    func run() async throws {
        do {
            if let link = try await api.consoleSetupLink() {
                announce(link)
                api.logger.notice("no console logins yet: open the first-run setup link printed on standard output (valid for an hour)")
            }
        } catch {
            api.logger.error("could not issue the console's first-run link", metadata: ["error": "\(error)"])
        }
        try? await gracefulShutdown()
    }
}

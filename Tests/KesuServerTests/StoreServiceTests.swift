import Foundation
import KesuKernel
import KesuPostgresTestSupport
import KesuServer
import Logging
import ServiceLifecycle
import Testing

/// The PostgreSQL store's connection pool is a long-lived thing of the server: a service of its
/// group, closed by the group's graceful shutdown after the HTTP server and the sweep have stopped.
@Suite("kesu serve: the store's connections are a service")
struct StoreServiceTests {
    @Test("on PostgreSQL the server's service group runs the store's pool and closes it on graceful shutdown")
    func postgresPoolRunsInTheGroup() async throws {
        let schema = try await TestSchema.make()
        defer { Task { await schema.drop() } }
        let store = try schema.store(poolSize: 2)
        // The fixture writes accounts before any group runs: the store opened its pool itself,
        // as a short command does, and the group takes it over.
        let f = try await ServerFixture.make(store: store)
        let settings = ServerSettings(port: 0, sweepInterval: .seconds(3600), instanceID: "service-test", rulesPath: f.api.settings.rulesPath)
        let api = KesuAPI(rules: f.api.rules, settings: settings, logger: f.api.logger, now: { f.clock.now })
        let group = ServiceGroup(configuration: .init(services: [api.application()], logger: Logger(label: "service-test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            #expect(try await store.count(CaseQuery()) == 0, "the store answers while the server runs")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        await #expect(throws: (any Error).self, "the group closed the pool") { try await store.count(CaseQuery()) }
    }
}

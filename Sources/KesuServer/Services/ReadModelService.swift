import Foundation
import KesuKernel
import Logging
import ServiceLifecycle

/// Builds the reports' read model once, in the background, when the store was upgraded with cases
/// already in it (`Engine.buildReportFacts`): the server answers meanwhile, its reports folding
/// histories until the build marks the store ready. One instance builds (the store's `read-model`
/// lease, taken for an hour); the others keep folding until it is done. A build stopped by a
/// shutdown starts again at the next start (each batch replaces its own facts, so nothing doubles).
struct ReadModelService: Service {
    let api: KesuAPI
    static let leaseName = "read-model"

    func run() async throws {
        let engine = api.rules.engine
        do {
            try await cancelWhenGracefulShutdown {
                guard try await !engine.reportFactsReady() else { return }
                let now = api.now()
                guard try await engine.store.acquireLease(Self.leaseName, holder: api.settings.instanceID,
                                                          until: now.addingTimeInterval(3_600), now: now) else { return }
                let logger = api.logger
                logger.notice("building the reports' read model from the case histories; reports fold histories until it is done")
                let start = ContinuousClock.now
                let cases = try await engine.buildReportFacts { done in
                    if done % 100_000 == 0 { logger.info("read model", metadata: ["cases": "\(done)"]) }
                }
                logger.notice("the reports' read model is built", metadata: [
                    "cases": "\(cases)", "seconds": "\((ContinuousClock.now - start).components.seconds)",
                ])
            }
        } catch is CancellationError {
            return
        } catch {
            api.logger.error("the reports' read model could not be built; reports keep folding histories", metadata: ["error": "\(error)"])
        }
        try? await gracefulShutdown()
    }
}

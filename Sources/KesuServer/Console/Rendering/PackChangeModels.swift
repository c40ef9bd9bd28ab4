import Foundation

// What the rules desk's change pages read: candidates, their checks, the replay job, deployments.

struct ChangesPage {
    struct Row {
        var id: String
        var href: String
        var source: String
        var origin: String
        var by: String
        var at: String
    }
    var chrome: Chrome
    var subnav: RulesNav
    var inForce: String
    var rows: [Row]
    var empty: Bool
    var maxMB: Int
}

struct CandidatePage {
    struct Problem {
        var severity: String
        var error: Bool
        var location: String
        var message: String
        /// The source line the location points at, when there is one.
        var line: String?
    }
    struct Test { var name: String; var file: String; var passed: Bool; var failures: [String]; var failed: Bool }
    struct DiffRow { var section: String; var id: String; var kind: String; var details: [String] }
    struct Count { var label: String; var count: Int }
    struct Changed { var number: String; var href: String; var oldUnit: String; var newUnit: String; var changes: [String] }

    var chrome: Chrome
    var subnav: RulesNav
    var id: String
    var source: String
    var origin: String
    var by: String
    var at: String
    var packName: String?
    var version: String?
    var inForce: String
    var ignored: [String]

    var errors: [Problem]
    var warnings: [Problem]
    // Mustache reads stored properties only: these are set with the lists.
    var valid: Bool
    var errorCount: Int
    var hasWarnings: Bool
    var hasIgnored: Bool

    var testsRun: Bool
    var tests: [Test]
    var testProblems: [String]
    var testsPassed: Int
    var testsFailed: Int
    var anyTestFailed: Bool
    var noTests: Bool

    var diff: [DiffRow]
    var sameAsInForce: Bool

    // The replay job.
    var replayNone: Bool
    var replayRunning: Bool
    var replayFinished: Bool
    var replayStopped: Bool
    var replayMessage: String?
    var replayDone: Int
    var replayTotal: Int
    var replayPercent: Int
    var replayJob: String
    var replayStale: Bool
    var replayAgainst: String
    var replayStaleAgainst: Bool
    var examined: Int
    var considered: Int
    var changedCount: Int
    var byKind: [Count]
    var byUnit: [Count]
    var changed: [Changed]
    var hasChanged: Bool
    var hasByKind: Bool
    var hasByUnit: Bool
    var changedCut: Bool
    var selection: String?

    var deployable: Bool
    var blockers: [String]
    var deployed: [String]
    var hasDeployed: Bool
}

struct HistoryPage {
    struct Row {
        var at: String
        var version: String
        var fullVersion: String
        var packName: String
        var source: String
        var origin: String
        var by: String
        var reason: String
        var inForce: Bool
        var canRollBack: Bool
        var href: String
    }
    struct Kept { var version: String; var fullVersion: String; var firstUsed: String; var lastUsed: String; var cases: Int; var inForce: Bool; var href: String; var canRollBack: Bool }
    var chrome: Chrome
    var subnav: RulesNav
    var rows: [Row]
    var kept: [Kept]
}

struct RollbackPage {
    var chrome: Chrome
    var subnav: RulesNav
    var version: String
    var fullVersion: String
    var packName: String
    var inForce: String
    var diff: [CandidatePage.DiffRow]
}

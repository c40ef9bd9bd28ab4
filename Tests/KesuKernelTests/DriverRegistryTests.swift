import Foundation
import KesuKernel
import Testing

@Suite struct DriverRegistryTests {
    struct Fake: Notifier {
        var tag: String
        func deliver(_ notification: KesuKernel.Notification) async throws {}
    }

    struct Failing: Notifier {
        func deliver(_ notification: KesuKernel.Notification) async throws { throw CancellationError() }
    }

    static func registry() -> DriverRegistry<any Notifier> {
        var r = DriverRegistry<any Notifier>("notifier")
        r.register("webhook", options: [.required("url"), DriverOption("retries", .integer)]) { c in
            Fake(tag: "\(c.string("url")!) \(c.int("retries") ?? 3)")
        }
        r.register("console") { _ in Fake(tag: "console") }
        return r
    }

    static let at = KesuKernel.SourceLocation(file: "kesu.yaml", line: 4, column: 5)

    func config(_ driver: String, _ options: [String: ConfigValue]) -> DriverConfig {
        var keys: [String: KesuKernel.SourceLocation] = [:], values: [String: KesuKernel.SourceLocation] = [:]
        for (i, k) in options.keys.sorted().enumerated() {
            keys[k] = KesuKernel.SourceLocation(file: "kesu.yaml", line: 5 + i, column: 5)
            values[k] = KesuKernel.SourceLocation(file: "kesu.yaml", line: 5 + i, column: 12)
        }
        return DriverConfig(driver: driver, options: options, what: "notifier 'ops'", location: Self.at,
                            driverLocation: KesuKernel.SourceLocation(file: "kesu.yaml", line: 4, column: 13),
                            keyLocations: keys, valueLocations: values)
    }

    @Test func makesTheRegisteredDriverWithItsOptions() throws {
        let n = try Self.registry().make(config("webhook", ["url": .string("http://x"), "retries": .number(5)]))
        #expect((n as? Fake)?.tag == "http://x 5")
        #expect(Self.registry().names == ["console", "webhook"])
    }

    @Test func unknownDriverIsReportedAtItsNameWithDidYouMean() {
        let d = Self.registry().check(config("webhok", [:]))
        #expect(d.map(\.description) == [
            "kesu.yaml:4:13: error: unknown notifier driver 'webhok' in notifier 'ops'; did you mean 'webhook'? known drivers: console, webhook",
        ])
    }

    @Test func everyOptionProblemIsReportedAtOnce() {
        let d = Self.registry().check(config("webhook", ["ur": .string("http://x"), "retries": .string("many")]))
        #expect(d.map(\.description) == [
            "kesu.yaml:5:12: error: expected a whole number for 'retries' of notifier 'ops', found 'many'",
            "kesu.yaml:6:5: error: unknown option 'ur' for notifier driver 'webhook' in notifier 'ops'; did you mean 'url'? known options: url, retries",
            "kesu.yaml:4:13: error: notifier driver 'webhook' in notifier 'ops' needs option 'url'",
        ])
        #expect(throws: ConfigurationError.self) { try Self.registry().make(config("webhook", [:])) }
    }

    @Test func scalarsAreLenientButListsAreNotStrings() {
        #expect(Self.registry().check(config("webhook", ["url": .string("u"), "retries": .string("2")])).isEmpty)
        let d = Self.registry().check(config("webhook", ["url": .list([.string("a")])]))
        #expect(d.first?.message == "expected a string for 'url' of notifier 'ops', found a list")
    }

    @Test func driverWithoutOptionsRefusesAny() {
        let d = Self.registry().check(config("console", ["path": .string("x")]))
        #expect(d.first?.message.hasSuffix("this driver takes no options") == true)
    }

    @Test func fanOutDeliversToEveryChannelAndNamesTheFailedOnes() async throws {
        let a = CollectingNotifier(), b = CollectingNotifier()
        let fan = FanOutNotifier(channels: [("a", a), ("bad", Failing()), ("b", b)])
        let n = KesuKernel.Notification(kind: .reminder, caseNumber: "YC-1", recipients: ["x"], text: "t", at: Date(timeIntervalSince1970: 0))
        do {
            try await fan.deliver(n)
            Issue.record("expected a failure")
        } catch let e as FanOutError {
            #expect(e.channels == ["bad"])
            #expect(e.description.hasPrefix("delivery failed on 1 channel(s): bad ("))
        }
        #expect(await a.delivered == [n])
        #expect(await b.delivered == [n])
    }

    @Test func relativePathsStartAtTheBaseDirectory() {
        let c = DriverConfig(driver: "sqlite", options: ["path": .string("data/k.db")], baseDirectory: "/srv/kesu")
        #expect(c.path("path") == "/srv/kesu/data/k.db")
        #expect(DriverConfig.resolve("/abs.db", against: "/srv") == "/abs.db")
    }
}

import Foundation
import KesuKernel
import Yams

/// Reads a scenario file (`scenarios/*.yaml` beside a pack).
public enum ScenarioLoader {
    public static func load(path: String) throws -> Scenario {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw RulePackError([.error(SourceLocation(file: path, line: 1, column: 1), "cannot read scenario file")])
        }
        do {
            return try YAMLDecoder().decode(Scenario.self, from: text)
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw scenarioError(path, "missing '\(key.stringValue)' at \(pathText(ctx.codingPath))")
        } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx), let DecodingError.dataCorrupted(ctx) {
            let cause = ctx.underlyingError.map { " (\($0))" } ?? ""
            throw scenarioError(path, "\(ctx.debugDescription)\(cause) at \(pathText(ctx.codingPath))")
        } catch let e as YamlError {
            throw scenarioError(path, "\(e)")
        }
    }

    static func pathText(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0 + 1)]" } ?? ".\($0.stringValue)" }.joined()
    }

    static func scenarioError(_ path: String, _ message: String) -> RulePackError {
        RulePackError([.error(SourceLocation(file: path, line: 1, column: 1), message)])
    }
}

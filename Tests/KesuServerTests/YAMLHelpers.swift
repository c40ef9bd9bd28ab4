import KesuKernel
import KesuYAML

enum KesuYAMLLoad {
    static func pack(_ path: String) throws -> RulePack { try RulePackLoader().load(directory: path).pack }
}

import Hummingbird

extension Console {
    /// Pages for the rules desk: the pack in force, readable, and Try a complaint (rules_admin).
    func registerRulesDesk(_ g: RouterGroup<KesuRequestContext>) {}
}

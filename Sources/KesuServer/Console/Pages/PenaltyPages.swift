import Hummingbird

extension Console {
    /// Pages for penalty recommendations, decisions, notices and appeals.
    func registerPenalties(_ g: RouterGroup<KesuRequestContext>) {}
}

import Hummingbird

extension Console {
    /// Pages for scores with drill-down and downloads, report duties, the case register (reports).
    func registerAppraisal(_ g: RouterGroup<KesuRequestContext>) {}
}

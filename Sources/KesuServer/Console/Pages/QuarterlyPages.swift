import Hummingbird

extension Console {
    /// Pages for the quarterly summary and bulletin (reports).
    func registerQuarterly(_ g: RouterGroup<KesuRequestContext>) {}
}

import Hummingbird

extension Console {
    /// Pages for the notification outbox and plugin health (rules_admin).
    func registerOutbox(_ g: RouterGroup<KesuRequestContext>) {}
}

import Hummingbird

extension Console {
    /// Pages for people and access: API tokens, what each role may do, the record of personal-data views (rules_admin).
    func registerAccess(_ g: RouterGroup<KesuRequestContext>) {}
}

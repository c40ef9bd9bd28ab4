import Hummingbird

extension Console {
    /// Pages for a change, safely: candidate packs, their checks, the replay job, deploy and roll back (rules_admin).
    func registerPackChanges(_ g: RouterGroup<KesuRequestContext>) {}
}

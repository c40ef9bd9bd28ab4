// TEMPORARY: members the store branch adds; removed on merge.
import KesuKernel
extension CaseQuery {
    var states: [String]? { get { nil } set {} }
    var category: String? { get { nil } set {} }
    var phone: String? { get { nil } set {} }
    var order: PendingOrder { get { .dueFirst } set {} }
}
enum PendingOrder { case newest, dueFirst }
extension CaseSummary { var assignee: String? { nil } }
extension PersonalData { static func normalisedPhone(_ s: String) -> String? { let d = s.filter(\.isNumber); return d.isEmpty ? nil : d } }

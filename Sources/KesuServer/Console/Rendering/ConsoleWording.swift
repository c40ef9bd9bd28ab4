import Foundation
import KesuKernel
import KesuViews

/// A refusal from the kernel in the console's words: Chinese, naming the form's fields as the form
/// labels them. What the kernel says stays underneath for the codes without their own sentence.
struct ConsoleWording {
    let pack: RulePack

    func fieldName(_ id: String) -> String { CaseViewBuilder.fieldName(id, pack: pack) }

    func message(_ error: any Error) -> String {
        guard let e = error as? KesuError else { return APIError.from(error).message }
        switch e.code {
        case .missingField:
            return "请填写“\(e.field.map(fieldName) ?? "必填项")”。"
        case .invalidValue:
            guard let field = e.field else { return "填写的内容无效：\(e.message)" }
            var text = "“\(fieldName(field))”填写的“\(e.value ?? "")”无效"
            if !e.candidates.isEmpty, e.candidates.count <= 12 {
                text += "，可选：" + e.candidates.map { pack.label(field: field, value: $0) ?? pack.person($0)?.name ?? $0 }.joined(separator: "、")
            }
            return text + "。"
        case .conflict: return "案件已被他人修改，请返回案件页面查看最新情况后再办理。"
        case .wrongState, .closed: return "案件当前的状态不能办理这一步，请返回案件页面查看。（\(e.message)）"
        case .forbidden, .unknownUser: return "您无权办理这一步。（\(e.message)）"
        case .noRoute: return "没有找到承办单位：派单规则没有匹配，请指定承办单位。（\(e.message)）"
        default: return APIError.from(e).message
        }
    }
}

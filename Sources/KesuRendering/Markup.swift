import Foundation
import KesuKernel

/// Text for HTML and SVG documents Kesu writes (notices, reports, charts).
public enum Markup {
    /// `& < > " '` escaped; control characters other than tab and newline dropped (XML forbids them).
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if ch.value < 0x20 && ch != "\t" && ch != "\n" { continue }
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}

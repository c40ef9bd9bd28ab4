import Foundation
import KesuKernel

/// Charts for reports as inline SVG: pure functions of their data, no fonts or other files,
/// sizes in viewBox units so a chart scales to its container and prints sharply. The same data
/// always gives the same bytes.
public enum ChartSVG {
    public struct Bar: Sendable, Equatable {
        public var label: String
        public var value: Double
        public init(_ label: String, _ value: Double) { self.label = label; self.value = value }
    }

    public struct Point: Sendable, Equatable {
        public var label: String
        public var value: Double
        /// Drawn emphasised (the quarter itself, against the previous quarter).
        public var highlighted: Bool
        public init(_ label: String, _ value: Double, highlighted: Bool = true) {
            self.label = label; self.value = value; self.highlighted = highlighted
        }
    }

    public static let fontStack =
        "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Hiragino Sans GB','Microsoft YaHei','WenQuanYi Micro Hei','SimHei',sans-serif"

    public static let width = 640.0

    /// Text for XML: `& < > " '` escaped, control characters dropped.
    public static func escape(_ s: String) -> String { Markup.escape(s) }

    /// A number with at most one decimal, never `-0`.
    static func n(_ x: Double) -> String {
        let r = (x * 10).rounded() / 10
        if r == r.rounded() { return String(Int(r)) }
        return String(format: "%.1f", r)
    }

    /// Approximate width of text at font size `size`, erring wide: CJK and other wide characters
    /// 1 em, and so is general punctuation (`…`, `“”`), which CJK fonts draw full-width; the rest 0.6 em.
    public static func textWidth(_ s: String, size: Double) -> Double {
        s.unicodeScalars.reduce(0) { $0 + ($1.value >= 0x2E80 || (0x2000...0x206F).contains($1.value) ? size : size * 0.6) }
    }

    /// Cuts `s` to fit `width`, ending with `…`.
    static func fit(_ s: String, width: Double, size: Double) -> String {
        guard textWidth(s, size: size) > width else { return s }
        var out = ""
        for ch in s {
            if textWidth(out + String(ch) + "…", size: size) > width { break }
            out.append(ch)
        }
        return out + "…"
    }

    static func header(height: Double, title: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(n(width)) \(n(height))" width="100%" \
        role="img" aria-label="\(escape(title))" font-family="\(escape(fontStack))" font-size="12">\
        <title>\(escape(title))</title>\
        <text x="0" y="16" font-size="14" font-weight="bold" fill="#222">\(escape(title))</text>
        """
    }

    /// A value axis maximum at or above `x`: 1, 2 or 5 times a power of ten.
    static func niceMax(_ x: Double) -> Double {
        guard x > 0 else { return 1 }
        let p = pow(10, floor(log10(x)))
        for m in [1.0, 2, 5, 10] where m * p >= x { return m * p }
        return 10 * p
    }

    /// Horizontal bars, one per item in the given order, labels on the left, value at the end of
    /// each bar. `max` fixes the scale (100 for percentages); otherwise the largest value fills
    /// the width. `suffix` follows every value (`%`).
    public static func bars(title: String, _ items: [Bar], max fixedMax: Double? = nil, suffix: String = "") -> String {
        let size = 12.0, row = 24.0, top = 30.0
        let longest = items.map { textWidth($0.label, size: size) }.max() ?? 0
        let labelWidth = min(Swift.max(longest, 40), 260)
        // Labels end `labelEnd` from the left edge, so the longest (cut to `labelWidth`) starts inside the chart.
        let labelEnd = labelWidth + 4
        let left = labelEnd + 8
        let valueRoom = 56.0
        let area = width - left - valueRoom
        let top0 = top
        let height = top0 + Double(Swift.max(items.count, 1)) * row + 8
        let scale = fixedMax ?? (items.map(\.value).max() ?? 0)
        var out = header(height: height, title: title)
        out += "<line x1=\"\(n(left))\" y1=\"\(n(top0 - 4))\" x2=\"\(n(left))\" y2=\"\(n(height - 6))\" stroke=\"#999\" stroke-width=\"1\"/>"
        if items.isEmpty {
            out += "<text x=\"\(n(left + 8))\" y=\"\(n(top0 + 16))\" fill=\"#666\">(无数据)</text>"
        }
        for (i, item) in items.enumerated() {
            let y = top0 + Double(i) * row
            let w = scale > 0 ? Swift.max(0, item.value) / scale * area : 0
            let label = fit(item.label, width: labelWidth, size: size)
            out += "<g class=\"item\">"
            out += "<title>\(escape(item.label)): \(n(item.value))\(escape(suffix))</title>"
            out += "<text x=\"\(n(labelEnd))\" y=\"\(n(y + 16))\" text-anchor=\"end\" fill=\"#222\">\(escape(label))</text>"
            out += "<rect class=\"bar\" x=\"\(n(left))\" y=\"\(n(y + 4))\" width=\"\(n(w))\" height=\"16\" fill=\"#3b6fb6\" data-value=\"\(n(item.value))\"/>"
            out += "<text x=\"\(n(left + w + 4))\" y=\"\(n(y + 16))\" fill=\"#222\">\(n(item.value))\(escape(suffix))</text>"
            out += "</g>"
        }
        return out + "</svg>"
    }

    /// A line through the points in order (months), previous-quarter points drawn grey.
    public static func line(title: String, _ points: [Point]) -> String {
        // Wide enough side margins for a centred "2026-12" under the first and last points.
        let height = 240.0, left = 48.0, right = 32.0, top = 36.0, bottom = 40.0
        let plotH = height - top - bottom, plotW = width - left - right
        let top0 = niceMax(points.map(\.value).max() ?? 0)
        var out = header(height: height, title: title)
        for k in 0...2 {
            let v = top0 * Double(k) / 2
            let y = top + plotH * (1 - Double(k) / 2)
            out += "<line x1=\"\(n(left))\" y1=\"\(n(y))\" x2=\"\(n(width - right))\" y2=\"\(n(y))\" stroke=\"#ddd\" stroke-width=\"1\"/>"
            out += "<text x=\"\(n(left - 6))\" y=\"\(n(y + 4))\" text-anchor=\"end\" fill=\"#666\">\(n(v))</text>"
        }
        let step = points.count > 1 ? plotW / Double(points.count - 1) : 0
        let xy = points.enumerated().map { i, p in
            (points.count > 1 ? left + Double(i) * step : left + plotW / 2, top + plotH * (1 - p.value / top0))
        }
        if xy.count > 1 {
            out += "<polyline fill=\"none\" stroke=\"#3b6fb6\" stroke-width=\"2\" points=\""
                + xy.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ") + "\"/>"
        }
        for (i, p) in points.enumerated() {
            let (x, y) = xy[i]
            let color = p.highlighted ? "#3b6fb6" : "#9aa5b1"
            out += "<g class=\"point\"><title>\(escape(p.label)): \(n(p.value))</title>"
            out += "<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"4\" fill=\"\(color)\" data-value=\"\(n(p.value))\"/>"
            out += "<text x=\"\(n(x))\" y=\"\(n(y - 8))\" text-anchor=\"middle\" fill=\"#222\">\(n(p.value))</text>"
            out += "<text x=\"\(n(x))\" y=\"\(n(height - bottom + 18))\" text-anchor=\"middle\" fill=\"\(p.highlighted ? "#222" : "#777")\">\(escape(p.label))</text>"
            out += "</g>"
        }
        return out + "</svg>"
    }
}

extension QuarterlyReport {
    /// Cases opened in the quarter by category.
    public var categoryChart: String {
        ChartSVG.bars(title: "按分类 (\(period.label))", (breakdown("category")?.lines ?? []).map { .init($0.label, Double($0.count)) })
    }

    /// Cases opened in the quarter by handling unit, units with none left out.
    public var unitChart: String {
        ChartSVG.bars(title: "按承办单位 (\(period.label))",
                      (breakdown("handling_unit")?.lines ?? []).filter { $0.count > 0 || $0.previous > 0 }.map { .init($0.label, Double($0.count)) })
    }

    /// Cases opened per month over the previous quarter and this one.
    public var trendChart: String {
        ChartSVG.line(title: "月度趋势 (\(previousPeriod.label)–\(period.label))",
                      months.map { .init($0.label, Double($0.count), highlighted: $0.inQuarter) })
    }

    /// On-time rate by unit (0–100%), units that answered something.
    public var onTimeChart: String {
        ChartSVG.bars(title: "各单位按时办结率 (\(period.label))",
                      units.compactMap { u in u.onTimeRate.map { .init(u.name, ($0 * 1000).rounded() / 10) } },
                      max: 100, suffix: "%")
    }
}

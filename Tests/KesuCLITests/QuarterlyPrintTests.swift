import Foundation
import KesuRendering
import Testing

/// The quarterly HTML as a person sees it: printed by headless Chromium on A4 and counted with
/// poppler's `pdfinfo`/`pdftotext`, and every chart label checked against its chart's edges.
/// Like the PostgreSQL tests, missing tools are a failure that says how to install them.
@Suite struct QuarterlyPrintTests {
    static let install = "apt-get install chromium poppler-utils fonts-noto-cjk (the .ci/run package list has them)"

    /// The CLI fixture plus 24 cases over 2026Q4 in every category, channel and complainant type,
    /// each with a long description, so every table, chart and the typical cases are full.
    static func busyQuarter() throws -> KesuCLI {
        let cli = try QuarterlyReportCLITests.fixture()
        let categories = ["marketing_service", "logistics_service", "license_market", "e_settlement", "leaf_production", "other"]
        let channels = ["phone", "visit", "letter", "provincial"]
        let types = ["grower", "retailer", "consumer", "manufacturer"]
        let kinds = ["complaint", "complaint", "complaint", "inquiry"]
        var n = 0
        for month in ["10", "11", "12"] {
            for day in ["05", "12", "19", "26"] {
                for hour in ["09", "14"] {
                    let category = categories[n % categories.count]
                    var args = ["intake", "--field", "channel=\(channels[n % 4])", "--field", "kind=\(kinds[n % 4])",
                                "--field", "complainant_type=\(types[n / 2 % 4])", "--field", "category=\(category)",
                                "--field", "description=客户反映送货员多次未按约定时间送货, 电话联系不上, 要求核实处理并给予答复, 同时希望改进配送服务质量和沟通方式。第\(n)件"]
                    if category == "leaf_production" { args += ["--field", "region=county_a"] }
                    let r = try cli.run(args, now: "2026-\(month)-\(day)T\(hour):00:00+08:00", as: "zhao_min")
                    #expect(r.status == 0, "\(args): \(r.stderr)")
                    n += 1
                }
            }
        }
        return cli
    }

    /// The first of `names` on PATH.
    static func tool(_ names: String...) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for name in names {
            for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
                return "\(dir)/\(name)"
            }
        }
        return nil
    }

    static func run(_ tool: String, _ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    @Test func busyQuarterPrintsOnThreeA4PagesSummaryOnTheFirst() throws {
        guard let chromium = Self.tool("chromium", "chromium-browser", "google-chrome"),
              let pdfinfo = Self.tool("pdfinfo"), let pdftotext = Self.tool("pdftotext") else {
            Issue.record("the print check needs headless Chromium and poppler-utils: \(Self.install)")
            return
        }
        let cli = try Self.busyQuarter()
        let html = cli.dir.appendingPathComponent("q4.html").path, pdf = cli.dir.appendingPathComponent("q4.pdf").path
        let r = try cli.run(["report", "quarterly", "--period", "2026Q4", "--format", "html", "--out", html])
        #expect(r.status == 0, "\(r.stderr)")
        let printed = try Self.run(chromium, [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--user-data-dir=\(cli.dir.path)/chromium",
            "--print-to-pdf=\(pdf)", html,
        ])
        #expect(printed.status == 0 && FileManager.default.fileExists(atPath: pdf), "chromium: \(printed.err)")
        let info = try Self.run(pdfinfo, [pdf])
        let pages = info.out.split(separator: "\n").first { $0.hasPrefix("Pages:") }.flatMap { Int($0.dropFirst(6).trimmingCharacters(in: .whitespaces)) }
        #expect(pages == 3, "\(info.out)")
        func page(_ n: Int) throws -> String { try Self.run(pdftotext, ["-f", "\(n)", "-l", "\(n)", pdf, "-"]).out }
        // Page 1 is the whole 汇总表 and nothing else; the bulletin takes pages 2 and 3.
        let first = try page(1), second = try page(2), third = try page(3)
        for heading in ["季度客户意见汇总表", "一、总体情况", "按客户类型", "月度受理", "各单位办理情况", "州局(公司)领导班子"] {
            #expect(first.contains(heading), "page 1 lacks \(heading)")
        }
        #expect(!first.contains("一、基本情况") && !first.contains("典型案例"))
        #expect(second.contains("客户投诉情况通报") && second.contains("月度趋势") && second.contains("按承办单位"))
        #expect(third.contains("各单位按时办结率") && third.contains("典型案例") && third.contains("YC-2026-"))
    }

    /// One `<text>` of a chart: where it is anchored, how it is anchored, its size and its text.
    struct Label { var x: Double; var anchor: String; var size: Double; var text: String }

    static func labels(inSVG svg: String) -> (width: Double, labels: [Label]) {
        func attribute(_ name: String, _ s: Substring) -> String? {
            guard let r = s.range(of: " \(name)=\"") else { return nil }
            return String(s[r.upperBound...].prefix { $0 != "\"" })
        }
        let box = attribute("viewBox", svg[...])?.split(separator: " ").compactMap { Double($0) } ?? []
        let baseSize = attribute("font-size", svg[...]).flatMap(Double.init) ?? 12
        var labels: [Label] = []
        for chunk in svg.components(separatedBy: "<text").dropFirst() {
            guard let close = chunk.firstIndex(of: ">"), let end = chunk.range(of: "</text>") else { continue }
            let attrs = chunk[..<close]
            let text = String(chunk[chunk.index(after: close)..<end.lowerBound])
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
                .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
                .replacingOccurrences(of: "&amp;", with: "&")
            labels.append(Label(x: attribute("x", attrs).flatMap(Double.init) ?? 0, anchor: attribute("text-anchor", attrs) ?? "start",
                                size: attribute("font-size", attrs).flatMap(Double.init) ?? baseSize, text: text))
        }
        return (box.count == 4 ? box[2] : 0, labels)
    }

    @Test func noChartLabelIsCutAtEitherEdge() throws {
        let cli = try Self.busyQuarter()
        let r = try cli.run(["report", "quarterly", "--period", "2026Q4", "--format", "html"])
        #expect(r.status == 0, "\(r.stderr)")
        let charts = r.stdout.components(separatedBy: "<svg").dropFirst().map { "<svg" + $0.components(separatedBy: "</svg>")[0] }
        #expect(charts.count == 4)
        var checked = 0
        for svg in charts {
            let (width, labels) = Self.labels(inSVG: svg)
            #expect(width > 0)
            for l in labels {
                let w = ChartSVG.textWidth(l.text, size: l.size)
                let (from, to) = switch l.anchor {
                case "end": (l.x - w, l.x)
                case "middle": (l.x - w / 2, l.x + w / 2)
                default: (l.x, l.x + w)
                }
                #expect(from >= 0 && to <= width, "'\(l.text)' spans \(from)…\(to) in a chart 0…\(width) wide")
                checked += 1
            }
        }
        // The longest category is among them, cut with an ellipsis, whole in the bar's tooltip.
        #expect(r.stdout.contains("<title>客户经理、电话订货员服务及货源供应、卷烟价格: 5</title>"))
        #expect(r.stdout.contains(">客户经理、电话订货员服务及货源供应、卷烟…</text>"))
        #expect(checked > 30)
    }
}

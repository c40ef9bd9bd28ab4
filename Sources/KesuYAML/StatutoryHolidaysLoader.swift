import Foundation
import KesuKernel
import Yams

/// Reads a statutory-holiday rules file (rules/calendars/cn-statutory-holidays.yaml), reporting every
/// problem with its file:line:column; `kesu calendar draft` drafts a year from what it reads.
public struct StatutoryHolidaysLoader: Sendable {
    public static let fileKeys = ["region", "time_zone", "holidays"]
    public static let holidayKeys = ["name", "zh", "calendar", "month", "day", "term", "offset_days", "days", "since", "until"]
    public static let calendars = ["gregorian", "lunar", "solar_term"]

    public init() {}

    /// Reads the file, throwing `ConfigurationError` with every problem found.
    public func load(path: String) throws -> StatutoryRules {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError([.error(SourceLocation(file: path, line: 1, column: 1),
                                             "cannot read the statutory holidays file '\(path)' (give another with --statutory FILE)")])
        }
        let (rules, diagnostics) = read(text: text, file: path)
        if diagnostics.contains(where: { $0.severity == .error }) { throw ConfigurationError(diagnostics) }
        return rules
    }

    public func read(text: String, file: String) -> (StatutoryRules, [Diagnostic]) {
        let sink = DiagnosticSink()
        let reader = NodeReader(file: file, sink: sink)
        var rules = StatutoryRules(holidays: [], location: reader.start)
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            let (mark, message) = LoadSession.describe(error)
            return (rules, [.error(SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1), message)])
        } catch {
            return (rules, [.error(reader.start, "YAML error: \(error)")])
        }
        guard let node, !NodeReader.isNull(node),
              let top = reader.mapping(node, "the statutory holidays file", allowed: Self.fileKeys, required: ["holidays"])
        else {
            if sink.items.isEmpty { sink.error(reader.start, "the statutory holidays file is empty: it needs 'holidays'") }
            return (rules, sink.items)
        }
        rules.region = top.string("region") ?? ""
        if let zone = top.string("time_zone") {
            if TimeZone(identifier: zone) == nil {
                sink.error(top.valueLocation("time_zone"), "unknown time zone '\(zone)': use an IANA name such as Asia/Shanghai")
            } else {
                rules.timeZone = zone
            }
        }
        rules.holidays = top.list("holidays").compactMap { holiday(reader, $0) }
        return (rules, sink.items)
    }

    func holiday(_ r: NodeReader, _ node: Node) -> StatutoryHoliday? {
        guard let m = r.mapping(node, "a statutory holiday", allowed: Self.holidayKeys, required: ["name", "calendar", "days"]),
              let name = m.string("name"),
              let calendar = m.oneOf("calendar", Kind.self, choices: Self.calendars) else { return nil }
        let anchor: StatutoryHoliday.Anchor
        switch calendar {
        case .gregorian, .lunar:
            guard let month = m.int("month"), let day = m.int("day") else {
                r.sink.error(m.location, "holiday '\(name)': a \(calendar.rawValue) holiday needs 'month' and 'day'")
                return nil
            }
            let months = 1...12
            let days = calendar == .lunar ? 1...30 : 1...31
            guard months.contains(month), days.contains(day) else {
                r.sink.error(m.valueLocation(months.contains(month) ? "day" : "month"),
                             "holiday '\(name)': no \(calendar.rawValue) day \(month)/\(day)")
                return nil
            }
            anchor = calendar == .lunar ? .lunar(month: month, day: day) : .gregorian(month: month, day: day)
        case .solarTerm:
            guard let term = m.string("term") else {
                r.sink.error(m.location, "holiday '\(name)': a solar_term holiday needs 'term', e.g. qingming")
                return nil
            }
            guard let longitude = HolidayDraft.solarTerms[term] else {
                r.sink.error(m.valueLocation("term"), "unknown solar term '\(term)'"
                             + Suggest.hint(for: term, in: HolidayDraft.solarTerms.keys.sorted()))
                return nil
            }
            anchor = .solarTerm(longitude: longitude)
        }
        guard let days = m.int("days"), days >= 1 else {
            r.sink.error(m.valueLocation("days"), "holiday '\(name)': 'days' must be a whole number of days, at least 1")
            return nil
        }
        let since = m.int("since"), until = m.int("until")
        if let since, let until, since > until {
            r.sink.error(m.valueLocation("until"), "holiday '\(name)': 'until' \(until) is before 'since' \(since)")
            return nil
        }
        return StatutoryHoliday(name: name, label: m.string("zh") ?? "", anchor: anchor, offsetDays: m.int("offset_days") ?? 0,
                                days: days, since: since, until: until, location: m.location)
    }

    enum Kind: String { case gregorian, lunar, solarTerm = "solar_term" }
}

import Foundation
import KesuKernel
import Yams

/// Section `reporting:` (docs/rule-packs.md, "Appraisal measures and reports").
extension LoadSession {
    func readReporting(_ m: MergedSection) -> ReportingDef {
        var def = ReportingDef(location: m.location)
        def.onTimeClock = m.string("on_time_clock")
        if let s = m["substantiated"], let x = s.reader.mapping(s.value, m.label("substantiated"), allowed: PackVocabulary.keys("reporting_substantiated")) {
            def.substantiatedOutcome = x.string("outcome")
            def.substantiatedWhen = readConditions(s.reader, x["when"])
            if def.substantiatedOutcome == nil && def.substantiatedWhen.isEmpty {
                s.reader.error(s.value, "'substantiated' of section 'reporting' needs an outcome or a when")
            }
        }
        if let s = m["callback"], let x = s.reader.mapping(s.value, m.label("callback"), allowed: PackVocabulary.keys("reporting_callback"),
                                                            required: ["transitions"]) {
            def.callbackTransitions = x.strings("transitions")
            def.unsatisfiedOutcome = x.string("unsatisfied_outcome")
        }
        if let s = m["redispatch"], let items = s.reader.list(s.value, m.label("redispatch")) {
            def.redispatchTransitions = items.compactMap { s.reader.string($0, "a transition id") }
        }
        if let s = m["typical_cases"], let x = s.reader.mapping(s.value, m.label("typical_cases"), allowed: PackVocabulary.keys("typical_cases")) {
            let limit = x.number("limit").map { Int($0) } ?? 5
            if limit < 1 { s.reader.error(s.value, "'limit' of typical_cases must be at least 1") }
            def.typicalCases = TypicalCasesDef(when: readConditions(s.reader, x["when"]), outcomes: x.strings("outcomes"),
                                               limit: max(1, limit), location: x.location)
        }
        def.reports = m.items("reports").compactMap { item in
            let (r, n) = (item.reader, item.node)
            guard let x = r.mapping(n, "periodic report", allowed: PackVocabulary.keys("periodic_report"),
                                    required: ["id", "name", "by", "due"]),
                  let id = x.string("id"), let name = x.string("name"),
                  let by = x.oneOf("by", PeriodicReportDef.Owner.self, choices: ["unit", "center"]),
                  let d = x["due"],
                  let due = r.mapping(d, "'due' of periodic report '\(id)'", allowed: PackVocabulary.keys("report_due"),
                                      required: ["month_of_quarter", "day"]),
                  let month = due.int("month_of_quarter"), let day = due.int("day") else { return nil }
            let remind = x.int("remind_working_days_before") ?? 3
            if remind < 0 { r.error(n, "remind_working_days_before of periodic report '\(id)' cannot be negative") }
            return PeriodicReportDef(id: id, name: name, by: by, monthOfQuarter: month, day: day,
                                     remindWorkingDaysBefore: max(0, remind), location: x.location)
        }
        return def
    }
}

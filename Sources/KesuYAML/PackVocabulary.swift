/// Every key a rule pack file may hold, in one table: the loader reads its allowed keys from here, and
/// docs/rule-pack.schema.json (and docs/calendar.schema.json) declare exactly these keys under `$defs` of the
/// same names (PackSchemaTests keeps them in step). Order matters only for did-you-mean hints.
///
/// Not here: the keys of a `when:` (they are field ids, checked by the validator), and the merge keys
/// `before`/`after`/`remove` the schema allows on items of a pack that extends another.
public enum PackVocabulary {
    /// Definition name → allowed keys.
    public static let objects: [String: [String]] = [
        // A pack file: a mapping of sections; any section may be in any file.
        "pack_file": [
            "pack", "calendar", "roles", "units", "people", "kinds", "levels", "categories", "complainant_types",
            "channels", "regions", "fields", "routing", "procedure", "clocks", "ladders", "scoring", "reporting",
        ],
        "pack": ["id", "name", "label", "case_number_prefix", "case_number_gaps", "extends"],
        "calendar": ["time_zone", "business_hours", "weekend", "include", "holidays", "workdays"],
        // An included calendar file (rules/calendars/*.yaml).
        "calendar_file": ["region", "provisional", "supplement", "holidays", "workdays"],
        "dated_day": ["date", "name", "zh"],
        // kinds, levels, complainant types, channels, values of a choice field, violations, outcomes, penalties.
        "choice": ["id", "name"],
        "role": ["id", "name", "scope", "read_only", "permissions"],
        "unit": ["id", "name", "center", "liaison", "head"],
        "person": ["id", "name", "unit", "roles"],
        "category": ["id", "name", "kinds", "keywords"],
        "region": ["id", "name", "unit"],
        "field": ["id", "name", "type", "values", "personal", "multiline"],
        // The long form of one condition of a `when:` (`category: {one_of: [a, b]}`).
        "condition": ["equals", "one_of", "not_one_of", "missing"],
        "route": ["id", "name", "when", "unit", "unit_from"],
        "procedure": ["initial", "states", "intake", "transitions"],
        "state": ["id", "name", "final", "worklist"],
        "intake": ["roles", "requires", "accepts", "route"],
        "transition": [
            "id", "name", "from", "roles", "when", "requires", "accepts", "route", "assign_actor", "adopt_current_rules", "to",
        ],
        "target": ["when", "state", "outcomes"],
        "clock": [
            "id", "name", "working_days", "ends", "working_hours", "working_minutes", "start", "stop",
            "pause", "resume", "when", "owner", "responsible", "violation", "ladder", "extension",
        ],
        "extension": ["approvers", "max_count", "max_working_days", "max_working_hours", "allow_late"],
        "ladder": ["id", "steps"],
        "ladder_step": ["at", "remind", "escalate_to", "violation"],
        "ladder_at": ["share", "working_hours_after_due", "working_minutes_after_due"],
        "scoring": ["baseline", "violations", "outcomes", "rules", "penalties", "thresholds", "penalty_procedure"],
        "scoring_rule": ["id", "on", "when", "unit", "person", "person_from"],
        "scoring_on": ["violation", "outcome"],
        "threshold": ["id", "subject", "period", "points", "penalty"],
        "penalty_procedure": ["decided_by", "appeal"],
        "penalty_appeal": ["by", "within_working_days", "decided_by"],
        "reporting": ["on_time_clock", "substantiated", "callback", "redispatch", "typical_cases", "reports"],
        "reporting_substantiated": ["outcome", "when"],
        "reporting_callback": ["transitions", "unsatisfied_outcome"],
        "typical_cases": ["when", "outcomes", "limit"],
        "periodic_report": ["id", "name", "by", "due", "remind_working_days_before"],
        "report_due": ["month_of_quarter", "day"],
    ]

    /// The allowed keys of a definition; a name not in the table is a programming error.
    public static func keys(_ definition: String) -> [String] {
        guard let keys = objects[definition] else { preconditionFailure("PackVocabulary has no definition '\(definition)'") }
        return keys
    }
}

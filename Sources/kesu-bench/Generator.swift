import Foundation
import GRDB
import KesuKernel

/// SplitMix64: a small, fast, seedable generator, so every run produces the same data.
struct SeededRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func pick<T>(_ a: [T]) -> T { a[Int(next() % UInt64(a.count))] }
    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
    mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(next() % UInt64(r.count)) }
}

/// Intake fields for the tobacco-prefecture pack: realistic Chinese subjects and descriptions
/// per category, regions, channels and complainant types the pack knows.
enum TobaccoFields {
    static let subjects: [String: [(String, String)]] = [
        "marketing_service": [
            ("客户经理服务态度差", "零售客户反映客户经理订货时服务态度差, 多次推诿货源问题."),
            ("电话订货员不按时回访", "客户反映电话订货员连续两周未按约定时间回访订货."),
            ("紧俏卷烟货源分配不均", "零售户反映紧俏品牌货源长期断货, 周边商户却有供应."),
            ("卷烟价格高于指导价", "消费者反映所在片区零售户加价销售, 要求核实卷烟价格."),
        ],
        "logistics_service": [
            ("送货不及时", "零售户反映本周订购卷烟延迟两天才送达, 影响正常经营."),
            ("送货员服务态度差", "客户反映送货员卸货时态度恶劣, 拒绝搬运进店."),
            ("卷烟破损短少", "零售户反映到货卷烟有两条外包装破损, 另短少一条."),
            ("卷烟霉变", "客户反映所购卷烟开封后有霉变异味, 要求调换."),
        ],
        "license_market": [
            ("零售许可证办理时间过长", "申请人反映提交办证材料已超过二十个工作日仍未办结."),
            ("举报销售假烟", "消费者举报某商店销售假冒卷烟, 要求专卖稽查处理."),
            ("私烟流入市场", "零售户反映周边有无证人员批量销售私烟, 扰乱市场."),
            ("稽查执法程序不规范", "当事人反映专卖执法人员检查时未出示证件."),
        ],
        "e_settlement": [
            ("电子结算扣款失败", "零售户反映银行卡余额充足但电子结算扣款失败, 影响订货."),
            ("重复扣款", "客户反映同一订单被电子结算重复扣款两次, 要求退还."),
            ("转账到账延迟", "零售户反映结算转账三天未到账."),
        ],
        "leaf_production": [
            ("烟叶收购压级压价", "烟农反映收购站定级偏低, 存在压级压价现象."),
            ("育苗技术指导不到位", "烟农反映今年烟苗育苗期技术员未到现场指导."),
            ("烤烟收购排队时间长", "烟农反映烟站收购排队时间过长, 烤烟受潮."),
        ],
        "other": [
            ("投诉热线无人接听", "客户反映工作时间拨打投诉热线多次无人接听."),
            ("办事窗口搬迁未告知", "客户反映办事窗口搬迁未提前公告."),
        ],
    ]
    static let categories = ["marketing_service", "marketing_service", "marketing_service", "logistics_service",
                             "logistics_service", "license_market", "e_settlement", "leaf_production", "other"]
    static let surnames = ["张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "罗"]
    static let channels = ["phone", "phone", "phone", "phone", "phone", "visit", "letter", "provincial"]
    static let regions = ["county_a", "county_a", "county_b", "county_b", "city"]
    static let complainantTypes = ["retailer", "retailer", "retailer", "consumer", "grower", "manufacturer"]

    static func intake(_ rng: inout SeededRNG, kind: String) -> [String: String] {
        let category = rng.pick(categories)
        let (subject, description) = rng.pick(subjects[category]!)
        var f: [String: String] = [
            "channel": rng.pick(channels), "kind": kind,
            "complainant_type": category == "leaf_production" ? "grower" : rng.pick(complainantTypes),
            "description": description, "subject": subject,
            "complainant_name": rng.pick(surnames) + "某",
            "complainant_phone": "13\(rng.int(0...9))\(String(format: "%08d", rng.int(0...99_999_999)))",
            "region": rng.pick(regions),
        ]
        if rng.chance(0.85) { f["category"] = category }  // the rest: routed by the fallback, category proposed
        return f
    }
}

/// Plans complete, valid case histories with the pack's own Planner (no I/O) and writes them in
/// bulk straight into the SQLite schema. Closed cases went through the whole procedure; open
/// ones stop at a stage with their clocks running, so `next_wakeup` is what the engine would set.
struct StoreGenerator {
    let planner: Planner
    /// The key of the store written into (its phone index).
    let lookupKey: LookupKey
    let seed: UInt64
    /// The end of the generated period: open cases are recent relative to it.
    let now: Date

    struct GeneratedCase {
        var events: [Event]
        var summary: CaseSummary
    }

    var pack: RulePack { planner.pack }
    let clerks = ["zhao_min", "sun_li"]

    func person(role: String, unit: String?) -> String? {
        pack.people.first { $0.roles.contains(role) && (unit == nil || $0.unit == unit) }?.id
    }

    /// Case `index` (0-based) of `total`, of which the last `open` stay open. Deterministic in (seed, index).
    func makeCase(index: Int, total: Int, open: Int) throws -> GeneratedCase {
        var rng = SeededRNG(seed: seed &+ UInt64(index) &* 0x2545_F491_4F6C_DD1D)
        let isOpen = index >= total - open
        let span: Double = 3 * 365 * 86_400
        let t0: Date
        if isOpen {
            // Open cases: the last ~15 days, in order.
            let k = Double(index - (total - open)) / Double(max(open, 1))
            t0 = now.addingTimeInterval(-15 * 86_400 * (1 - k) - 3_600)
        } else {
            let k = Double(index) / Double(max(total - open, 1))
            t0 = now.addingTimeInterval(-span * (1 - k) - 16 * 86_400)
        }
        let opened = planner.calendar.nextOpening(atOrAfter: t0).addingTimeInterval(Double(rng.int(0...7_200)))
        let clerk = rng.pick(clerks)
        let inquiry = rng.chance(0.2)
        let fields = TobaccoFields.intake(&rng, kind: inquiry ? "inquiry" : "complaint")
        var events = try planner.planIntake(fields: fields, by: clerk, at: opened).events
        var state = CaseState(events: events)
        var t = opened
        func step(_ transition: String, _ f: [String: String], by actor: String, after minutes: Int) throws {
            t = t.addingTimeInterval(Double(minutes * 60))
            let e = try planner.planTransition(transition, fields: f, on: state, by: actor, at: t)
            for x in e { state.apply(x) }
            events += e
        }
        // How far an open case got; closed cases go all the way.
        let stage = isOpen ? rng.int(0...5) : 99
        if inquiry {
            // An open inquiry is one not answered yet.
            if !isOpen { try step("answer_on_spot", ["reply": "已当场解答有关政策及办理流程."], by: clerk, after: rng.int(5...30)) }
        } else {
            let level = rng.chance(0.9) ? "general" : (rng.chance(0.8) ? "important" : "major")
            let category = state.fields["category"] ?? planner.proposeCategory(for: fields["description"]!, kind: "complaint") ?? "other"
            if stage > 0 {
                try step("substantiate", ["substantiated": "yes", "category": category, "level": level], by: clerk, after: rng.int(10...60))
            }
            if stage > 1 { try step("approve_dispatch", [:], by: "qian_jin", after: rng.int(20...240)) }
            let unit = state.handlingUnit
            let handler = person(role: "handler", unit: unit) ?? "zhou_hong"
            if stage > 2 {
                let liaison = pack.units.first { $0.id == unit }?.liaison ?? "zhou_hong"
                try step("accept", ["assignee": handler], by: liaison, after: rng.int(30...300))
            }
            if stage > 3 {
                // About one closed complaint in eight is answered late: the sweep fired its
                // reminders, escalations, violations and deductions before the answer came.
                if !isOpen && rng.chance(0.12) {
                    t = t.addingTimeInterval(Double(rng.int(4...15) * 86_400))
                    let fired = try planner.planSweep(on: state, at: t)
                    for x in fired { state.apply(x) }
                    events += fired
                }
                try step("answer", [
                    "handled_by": pack.person(handler)?.name ?? handler,
                    "handled_at": Self.iso8601(t.addingTimeInterval(3_600), offset: planner.calendar.timeZone.secondsFromGMT(for: t)),
                    "process": "约谈相关人员, 核实记录, 与客户沟通.", "result": "问题已处理, 客户表示理解.",
                ], by: handler, after: rng.int(240...4_000))
            }
            if stage > 4 {
                let head = pack.units.first { $0.id == unit }?.head ?? "qian_jin"
                try step("approve_answer", [:], by: head, after: rng.int(30...600))
            }
            if stage > 5 { try step("callback", ["satisfaction": "satisfied"], by: clerk, after: rng.int(600...3_000)) }
        }
        var summary = planner.summary(of: state, lookupKey: lookupKey)
        summary.version = events.count
        return GeneratedCase(events: events, summary: summary)
    }

    /// `2026-09-30T15:30:00+08:00` without a formatter (Foundation builds an ICU one per call).
    static func iso8601(_ date: Date, offset: Int) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down)) + offset
        var tm = tm()
        gmtime_r(&t, &tm)
        let sign = offset < 0 ? "-" : "+"
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d%@%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                      tm.tm_hour, tm.tm_min, tm.tm_sec, sign, abs(offset) / 3600, abs(offset) % 3600 / 60)
    }

    /// Plans cases `range` on every core; the results are in index order.
    func makeCases(_ range: Range<Int>, total: Int, open: Int) throws -> [GeneratedCase] {
        let count = range.count
        // Each worker writes its own slots only.
        struct Slots: @unchecked Sendable { let p: UnsafeMutablePointer<Result<GeneratedCase, any Error>?> }
        let slots = Slots(p: .allocate(capacity: count))
        let results = slots.p
        results.initialize(repeating: nil, count: count)
        defer { results.deinitialize(count: count); results.deallocate() }
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var k = w
            while k < count {
                slots.p[k] = Result { try makeCase(index: range.lowerBound + k, total: total, open: open) }
                k += workers
            }
        }
        return try (0..<count).map { try results[$0]!.get() }
    }

    /// Writes `total` cases (`open` of them open) into the database at `path` (schema already
    /// migrated), `batch` cases per transaction. Returns the number of events written.
    func write(to pool: DatabasePool, total: Int, open: Int, batch: Int = 5_000,
               progress: (Int) -> Void = { _ in }) throws -> Int {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var counters: [String: Int] = [:]
        var eventCount = 0
        var i = 0
        let prefix = pack.info.caseNumberPrefix
        while i < total {
            let end = min(total, i + batch)
            let cases = try makeCases(i..<end, total: total, open: open)
            // Encode outside the write transaction.
            var rows: [(id: Int64, number: String, s: CaseSummary, events: [(Event, String)], facts: [ReportFact])] = []
            for (offset, c) in cases.enumerated() {
                let id = Int64(i + offset + 1)
                let year = planner.calendar.localDate(of: c.summary.openedAt).year
                let key = "\(prefix)-\(year)"
                let seq = (counters[key] ?? 0) + 1
                counters[key] = seq
                let number = String(format: "%@-%04d-%06d", prefix, year, seq)
                let evs = try c.events.enumerated().map { n, e -> (Event, String) in
                    var e = e
                    e.caseID = id
                    e.seq = n + 1
                    if case let .intake(_, st, f) = e.body { e.body = .intake(number: number, state: st, fields: f) }
                    return (e, String(decoding: try encoder.encode(e.body), as: UTF8.self))
                }
                // The report facts, as the engine writes them with the events.
                rows.append((id, number, c.summary, evs, ReportFact.derive(evs.map(\.0), after: CaseState(), pack: pack)))
            }
            let snapshot = counters
            try pool.write { db in
                let ci = try db.cachedStatement(sql: """
                    INSERT INTO cases (id, number, state, handling_unit, kind, category, level, channel, text,
                        opened_at, updated_at, closed_at, earliest_due, next_wakeup, version, pack_version, assignee, phone_digest)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                let ei = try db.cachedStatement(sql: """
                    INSERT INTO events (case_id, seq, at, occurred_at, actor, type, rule_id, pack_version, body)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                let fi = try db.cachedStatement(sql: """
                    INSERT INTO report_facts (case_id, seq, fact, occurred_at, opened_at, unit, person, value, weight,
                        kind, category, channel, complainant_type, points, rule_id, pack_version)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                for r in rows {
                    for f in r.facts {
                        try fi.execute(arguments: [
                            f.caseID, f.seq, f.kind.rawValue, f.occurredAt.timeIntervalSinceReferenceDate,
                            f.openedAt.timeIntervalSinceReferenceDate, f.unit, f.person, f.value, f.weight, f.kindField,
                            f.category, f.channel, f.complainantType, f.points, f.ruleID, f.packVersion,
                        ])
                    }
                    let s = r.s
                    try ci.execute(arguments: [
                        r.id, r.number, s.state, s.handlingUnit, s.kind, s.category, s.level, s.channel, s.text,
                        s.openedAt.timeIntervalSinceReferenceDate, s.updatedAt.timeIntervalSinceReferenceDate,
                        s.closedAt?.timeIntervalSinceReferenceDate, s.earliestDue?.timeIntervalSinceReferenceDate,
                        s.nextWakeup?.timeIntervalSinceReferenceDate, s.version, s.packVersion, s.assignee, s.phoneDigest,
                    ])
                    for (n, (e, body)) in r.events.enumerated() {
                        try ei.execute(arguments: [
                            r.id, n + 1, e.at.timeIntervalSinceReferenceDate, e.occurredAt.timeIntervalSinceReferenceDate,
                            e.actor, e.type, e.ruleID, e.packVersion, body,
                        ])
                    }
                }
                for (key, value) in snapshot {
                    try db.execute(sql: "INSERT INTO counters(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                                   arguments: [key, value])
                }
            }
            eventCount += rows.reduce(0) { $0 + $1.events.count }
            i = end
            progress(i)
        }
        return eventCount
    }
}

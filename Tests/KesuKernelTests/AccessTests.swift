import Foundation
@testable import KesuKernel
import KesuTestSupport
import Testing

/// Masking the complainant's personal data, principals from the pack's roles, and accounts with
/// hashed tokens on the record stream.
@Suite struct MaskingTests {
    @Test func namesKeepTheirFirstCharacter() {
        #expect(PersonalData.maskName("张三") == "张*")
        #expect(PersonalData.maskName("欧阳娜娜") == "欧***")
        #expect(PersonalData.maskName("某酒店") == "某**")
        #expect(PersonalData.maskName(" 李四 ") == "李*")
        #expect(PersonalData.maskName("张") == "*")
        #expect(PersonalData.maskName("") == "")
        #expect(PersonalData.maskName("John") == "J***")
    }

    @Test func mobileNumbersKeepThreeAndFour() {
        #expect(PersonalData.maskPhone("13812345678") == "138****5678")
        #expect(PersonalData.maskPhone("138 1234 5678") == "138 **** 5678")
        #expect(PersonalData.maskPhone("+86 13812345678") == "+86 138****5678")
        #expect(PersonalData.maskPhone("8613812345678") == "86138****5678")
    }

    @Test func phonesNormaliseToTheirDigits() {
        #expect(PersonalData.normalisedPhone("+86 138-1234-5678") == "13812345678")
        #expect(PersonalData.normalisedPhone("0086 13812345678") == "13812345678")
        #expect(PersonalData.normalisedPhone("8613812345678") == "13812345678")
        #expect(PersonalData.normalisedPhone("１３８ １２３４ ５６７８") == "13812345678")
        #expect(PersonalData.normalisedPhone("(0871) 6512-3456") == "087165123456")
        #expect(PersonalData.normalisedPhone("+86 871 6512 3456") == "8687165123456")   // not a mobile: the code stays
        #expect(PersonalData.normalisedPhone("95588") == "95588")
        #expect(PersonalData.normalisedPhone("不详") == nil)
        #expect(PersonalData.normalisedPhone("") == nil)
        let key = try! LookupKey(bytes: Array("a deployment's own lookup key".utf8))
        #expect(CaseQuery(phone: "+86 138 1234 5678").phoneDigest(with: key) == key.phoneDigest("13812345678"))
        #expect(CaseQuery(phone: "  ").phoneDigest(with: key) == nil)
        #expect(CaseQuery(phone: "不详").phoneDigest(with: key) == "")
    }

    @Test func phonesAreIndexedByAKeyedHashOnly() throws {
        let key = try LookupKey(bytes: Array("a deployment's own lookup key".utf8))
        let other = try LookupKey(bytes: Array("another deployment's own key".utf8))
        let digest = try #require(key.phoneDigest("+86 138-1234-5678"))
        #expect(digest == HMACSHA256.hex(key: Array("a deployment's own lookup key".utf8), message: Array("phone:13812345678".utf8)))
        #expect(digest.count == 64 && !digest.contains("5678"))
        #expect(key.phoneDigest("１３８１２３４５６７８") == digest, "the same phone however typed")
        #expect(other.phoneDigest("13812345678") != digest, "another key, another digest: the index means nothing without the key")
        #expect(key.phoneDigest("不详") == nil)
        #expect(key.fingerprint.count == 16 && key.fingerprint != other.fingerprint)
        #expect(throws: LookupKeyError.tooShort(5)) { try LookupKey(bytes: Array("short".utf8)) }
        // A key file is made at first use (owner-only), then read back as the same key.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kesu-key-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: LookupKeyError.self) { try LookupKey.file(dir + "/missing", create: false) }
        let made = try LookupKey.file(dir + "/k", create: true)
        #expect(try LookupKey.file(dir + "/k", create: false) == made)
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/k")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try String(contentsOfFile: dir + "/k", encoding: .utf8).count == 65, "64 hex digits and a newline")
        try Data("tiny\n".utf8).write(to: URL(fileURLWithPath: dir + "/tiny"))
        #expect(throws: LookupKeyError.unreadable(dir + "/tiny", LookupKeyError.tooShort(4).description)) {
            try LookupKey.file(dir + "/tiny", create: true)
        }
    }

    @Test func otherNumbersRevealAtMostHalf() {
        #expect(PersonalData.maskPhone("0871-65123456") == "087*-*****456")
        #expect(PersonalData.maskPhone("65123456") == "65****56")
        #expect(PersonalData.maskPhone("95588") == "9***8")
        #expect(PersonalData.maskPhone("110") == "**0")
        #expect(PersonalData.maskPhone("7") == "*")
        #expect(PersonalData.maskPhone("不详") == "不*")
        #expect(PersonalData.maskPhone("") == "")
        for number in ["0871-65123456", "65123456", "95588", "110", "12345", "1234567890", "023-6512345"] {
            let masked = PersonalData.maskPhone(number)
            let digits = number.filter(\.isNumber).count
            let shown = masked.filter(\.isNumber).count
            #expect(shown * 2 <= digits, "\(number) → \(masked) shows \(shown) of \(digits) digits")
            #expect(masked.count == number.count)
        }
    }

    func pack(personal: Bool = true) -> RulePack {
        var p = TestPack.make()
        p.fields.append(FieldDef(id: "id_card", name: "身份证号", personal: personal))
        p.fields.append(FieldDef(id: "contact_person", name: "联系人", personal: personal))
        return p
    }

    @Test func personalFieldsAreTheBuiltInOnesAndThePacksDeclaredOnes() {
        #expect(PersonalData.personalFields(in: pack()) == ["complainant_name", "complainant_phone", "id_card", "contact_person"])
        #expect(PersonalData.personalFields(in: pack(personal: false)) == ["complainant_name", "complainant_phone"])
    }

    @Test func redactMasksOnlyPersonalFieldsEachAsItsKind() {
        let fields = [
            "complainant_name": "欧阳娜娜", "complainant_phone": "13812345678", "id_card": "110101199003074512",
            "contact_person": "王五", "description": "送货不及时", "category": "logistics_service",
        ]
        let r = PersonalData.redact(fields, pack: pack())
        #expect(r["complainant_name"] == "欧***")
        #expect(r["complainant_phone"] == "138****5678")
        #expect(r["id_card"] == "110***********4512")
        #expect(r["contact_person"] == "王*")
        #expect(r["description"] == "送货不及时")
        #expect(r["category"] == "logistics_service")
    }

    @Test func caseStateAndEventsAreMaskedForAViewerWithoutPersonalData() throws {
        var pack = self.pack()
        pack.roles = pack.roles.map { r in
            var r = r
            if r.id == "clerk" { r.permissions = [.personalData] }
            return r
        }
        var s = CaseState()
        s.fields = ["complainant_name": "张三", "complainant_phone": "13812345678", "subject": "送货"]
        let clerk = try #require(pack.principal("clerk1")), auditor = try #require(pack.principal("audit1"))
        #expect(s.redacted(for: clerk, pack: pack) == s)
        let masked = s.redacted(for: auditor, pack: pack)
        #expect(masked.fields == ["complainant_name": "张*", "complainant_phone": "138****5678", "subject": "送货"])

        let personal = PersonalData.personalFields(in: pack)
        let intake = Event(at: Date(), actor: "clerk1", packVersion: "v",
                           body: .intake(number: "T-1", state: "registered", fields: ["complainant_name": "张三", "channel": "phone"]))
        #expect(intake.redacted(personalFields: personal, pack: pack).body
            == .intake(number: "T-1", state: "registered", fields: ["complainant_name": "张*", "channel": "phone"]))
        let act = Event(at: Date(), actor: "clerk1", packVersion: "v",
                        body: .transition(id: "fix", from: "a", to: "b", fields: ["complainant_phone": "13812345678", "complainant_name": ""]))
        #expect(act.redacted(personalFields: personal, pack: pack).body
            == .transition(id: "fix", from: "a", to: "b", fields: ["complainant_phone": "138****5678", "complainant_name": ""]))
        let routed = Event(at: Date(), actor: "system", packVersion: "v", body: .routed(unit: "unit_a", reason: "r"))
        #expect(routed.redacted(personalFields: personal, pack: pack) == routed)
    }
}

@Suite struct PrincipalTests {
    var pack: RulePack {
        var p = TestPack.make()
        let grants: [String: Set<Permission>] = [
            "clerk": [.personalData], "center_head": [.personalData, .reports, .rulesAdmin],
            "handler": [.personalData], "auditor": [.reports],
        ]
        p.roles = p.roles.map { r in
            var r = r
            r.permissions = grants[r.id] ?? []
            return r
        }
        return p
    }

    @Test func unknownPersonHasNoPrincipal() {
        #expect(pack.principal("nobody") == nil)
    }

    @Test func scopeDecidesWhichCasesArSeen() throws {
        let clerk = try #require(pack.principal("clerk1"))
        #expect(clerk.seesAllCases)
        #expect(clerk.canSee(handlingUnit: "unit_a") && clerk.canSee(handlingUnit: nil))
        let liaison = try #require(pack.principal("a_liaison"))
        #expect(liaison.id == "a_liaison" && liaison.unit == "unit_a")
        #expect(!liaison.seesAllCases)
        #expect(liaison.canSee(handlingUnit: "unit_a"))
        #expect(!liaison.canSee(handlingUnit: "unit_b"))
        #expect(!liaison.canSee(handlingUnit: nil))
    }

    @Test func readOnlyWhenEveryRoleIs() throws {
        #expect(try #require(pack.principal("audit1")).readOnly)
        #expect(!(try #require(pack.principal("clerk1")).readOnly))
        var p = pack
        p.people.append(PersonDef(id: "mixed", name: "兼任", unit: "center", roles: ["auditor", "clerk"]))
        #expect(!(try #require(p.principal("mixed")).readOnly))
    }

    @Test func permissionsAreTheUnionOfTheRoles() throws {
        let chief = try #require(pack.principal("chief"))
        #expect(chief.has(.personalData) && chief.has(.reports) && chief.has(.rulesAdmin))
        let auditor = try #require(pack.principal("audit1"))
        #expect(auditor.has(.reports) && !auditor.has(.personalData) && !auditor.has(.rulesAdmin))
        let liaison = try #require(pack.principal("b_liaison"))   // liaison + handler
        #expect(liaison.has(.personalData))
        #expect(!(try #require(pack.principal("a_liaison")).has(.personalData)))
        #expect(chief.permissions == Set(Permission.allCases))
    }
}

@Suite struct AccountsTests {
    let pack = TestPack.make()
    let t0 = TestPack.at("2026-10-12T09:00")

    @Test func addStoresOnlyTheHashAndTheTokenAuthenticates() async throws {
        let store = MemoryStore()
        let accounts = Accounts(store: store)
        let (a, token) = try await accounts.add(person: "audit1", label: "laptop", pack: pack, by: "chief", at: t0)
        #expect(a == Account(id: "u1", person: "audit1", label: "laptop", createdAt: t0))
        #expect(token.hasPrefix("kesu_"))
        #expect(token.count == 5 + 43)   // 32 bytes in base64url without padding
        #expect(!token.contains("=") && !token.contains("+") && !token.contains("/"))

        let records = try await store.records(stream: Accounts.stream)
        #expect(records.count == 1)
        #expect(records[0].actor == "chief" && records[0].type == "created")
        #expect(!records[0].body.contains(token))
        #expect(!records[0].body.contains(String(token.dropFirst(5))))
        #expect(records[0].body.contains(Accounts.hash(token: token)))

        #expect(try await accounts.authenticate(token: token) == a)
        #expect(try await accounts.authenticate(token: token + "x") == nil)
        #expect(try await accounts.authenticate(token: "kesu_") == nil)
        #expect(try await accounts.authenticate(token: Accounts.hash(token: token)) == nil)
    }

    @Test func idsAreSequentialAndTokensDiffer() async throws {
        let accounts = Accounts(store: MemoryStore())
        let one = try await accounts.add(person: "clerk1", label: nil, pack: pack, by: "chief", at: t0)
        let two = try await accounts.add(person: "clerk1", label: " ", pack: pack, by: "chief", at: t0)
        #expect(one.account.id == "u1" && two.account.id == "u2")
        #expect(two.account.label == nil)
        #expect(one.token != two.token)
        #expect(try await accounts.authenticate(token: two.token)?.id == "u2")
        #expect(try await accounts.list().map(\.id) == ["u1", "u2"])
    }

    @Test func revokedTokensNoLongerAuthenticate() async throws {
        let store = MemoryStore()
        let accounts = Accounts(store: store)
        let one = try await accounts.add(person: "clerk1", label: nil, pack: pack, by: "chief", at: t0)
        let two = try await accounts.add(person: "a_liaison", label: nil, pack: pack, by: "chief", at: t0)
        let later = t0.addingTimeInterval(3600)
        try await accounts.revoke(id: "u1", by: "chief", at: later)
        #expect(try await accounts.authenticate(token: one.token) == nil)
        #expect(try await accounts.authenticate(token: two.token)?.id == "u2")
        #expect(try await accounts.list().first?.revokedAt == later)
        // Again: nothing more is written.
        try await accounts.revoke(id: "u1", by: "chief", at: later.addingTimeInterval(60))
        #expect(try await store.records(stream: Accounts.stream).count == 3)
        #expect(try await accounts.list().first?.revokedAt == later)
        await #expect(throws: KesuError.self) { try await accounts.revoke(id: "u9", by: "chief", at: later) }
    }

    @Test("a server's cached accounts see another process's additions and revocations on the next request")
    func cachedAccountsFollowTheStream() async throws {
        let store = MemoryStore()
        let cache = Accounts.Cache()
        let server = Accounts(store: store, cache: cache)
        let cli = Accounts(store: store)  // `kesu users …` in another process: no cache
        let one = try await cli.add(person: "clerk1", label: nil, pack: pack, by: "chief", at: t0)
        #expect(try await server.authenticate(token: one.token)?.id == "u1")
        #expect(await cache.folded?.version == 1, "the fold is kept with the version it was made at")
        let two = try await cli.add(person: "a_liaison", label: nil, pack: pack, by: "chief", at: t0)
        #expect(try await server.authenticate(token: two.token)?.id == "u2", "an account added elsewhere works at once")
        try await cli.revoke(id: "u1", by: "chief", at: t0.addingTimeInterval(60))
        #expect(try await server.authenticate(token: one.token) == nil, "a revocation elsewhere takes effect on the next request")
        #expect(try await server.authenticate(token: two.token)?.id == "u2")
        #expect(await cache.folded?.version == 3)
        #expect(try await server.authenticate(token: "kesu_unknown") == nil)
    }

    @Test func unknownPersonIsRefusedAndNothingWritten() async throws {
        let store = MemoryStore()
        do {
            _ = try await Accounts(store: store).add(person: "audit2", label: nil, pack: pack, by: "chief", at: t0)
            Issue.record("an unknown person was accepted")
        } catch let e as KesuError {
            #expect(e.code == .unknownUser)
            #expect(e.message.contains("did you mean 'audit1'"))
        }
        #expect(try await store.records(stream: Accounts.stream).isEmpty)
    }

    @Test func aConcurrentAppendIsRetriedWithTheNextID() async throws {
        let store = MemoryStore()
        let accounts = Accounts(store: store)
        async let a = accounts.add(person: "clerk1", label: nil, pack: pack, by: "chief", at: t0)
        async let b = accounts.add(person: "chief", label: nil, pack: pack, by: "chief", at: t0)
        let ids = try await [a.account.id, b.account.id].sorted()
        #expect(ids == ["u1", "u2"])
    }
}

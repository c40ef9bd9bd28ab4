import Foundation
import KesuKernel
import KesuRendering
import KesuTestSupport
import Testing

/// Files attached to cases: who may attach, what is refused, where the content lives and who gets it back.
@Suite("attachments")
struct AttachmentTests {
    let pack = TestPack.make()
    func at(_ s: String) -> Date { TestPack.at(s) }
    static let pdf = Data("%PDF-1.7\n".utf8) + Data([0x00, 0xFF, 0x0D, 0x0A, 0xE2, 0x80]) + Data(repeating: 0x41, count: 2000)

    func setUp() async throws -> (Engine, MemoryStore, CaseState) {
        let store = MemoryStore()
        let e = try Engine(pack: pack, store: store)
        let c = try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "送货员态度差", "category": "service"],
                                   by: "clerk1", at: at("2026-09-30T10:00")).state
        #expect(c.handlingUnit == "unit_a")
        return (e, store, c)
    }

    func refusal(_ body: () async throws -> Any) async -> KesuError? {
        do { _ = try await body(); return nil } catch let e as KesuError { return e } catch { return nil }
    }

    @Test("an attach adds an event and the case lists the file; the history reads it in Chinese")
    func attach() async throws {
        let (e, store, c) = try await setUp()
        let next = try await e.attach(number: c.number, fileName: "来信.pdf", mediaType: "application/pdf; charset=binary", content: Self.pdf,
                                      by: "a_handler", at: at("2026-09-30T11:00"), expectedVersion: c.version)
        #expect(next.version == c.version + 1)
        let a = try #require(next.attachments.first)
        #expect(a == CaseAttachment(fileName: "来信.pdf", mediaType: "application/pdf", size: Self.pdf.count, sha256: SHA256.hex(Self.pdf),
                                    addedAt: at("2026-09-30T11:00"), addedBy: "a_handler"))
        let events = try await store.events(caseID: c.id)
        #expect(events.last?.type == "attachment_added")
        #expect(try await e.find(c.number) == next, "the fold of the stored events is the state returned")
        let line = HistoryText(pack: pack, zone: TestPack.zone).line(events.last!)
        #expect(line == "上传附件 来信.pdf（application/pdf，2 KB）")
        let (meta, data) = try await e.attachment(number: c.number, sha256: a.sha256)
        #expect(meta == a && data == Self.pdf)
        // The summary follows the case (updated_at, version).
        #expect(try await store.summary(caseID: c.id)?.version == next.version)
    }

    @Test("refused: too large, a type not taken, HTML or SVG whatever declared, empty, no name, the same file twice")
    func refusals() async throws {
        let (e, store, c) = try await setUp()
        func attach(_ name: String = "a.pdf", _ type: String = "application/pdf", _ content: Data = Self.pdf,
                    limits: AttachmentLimits = .standard) async -> KesuError? {
            await refusal { try await e.attach(number: c.number, fileName: name, mediaType: type, content: content, by: "clerk1",
                                               at: at("2026-09-30T11:00"), limits: limits) }
        }
        let big = await attach(limits: AttachmentLimits(maxBytes: 1024))
        #expect(big?.code == .tooLarge && big?.message.contains("2 KB") == true && big?.message.contains("1 KB") == true, "\(big.map(\.message) ?? "")")
        let huge = await attach("a.pdf", "application/pdf", Data(count: 3 * 1024 * 1024), limits: AttachmentLimits(maxBytes: 1536 * 1024 - 1))
        #expect(huge?.message.contains("3 MB") == true && huge?.message.contains("1.5 MB") == true, "\(huge.map(\.message) ?? "")")
        let type = await attach("a.exe", "application/x-msdownload")
        #expect(type?.code == .invalidValue && type?.message.contains("application/pdf, image/jpeg") == true, "\(type.map(\.message) ?? "")")
        let permissive = AttachmentLimits(allowedTypes: ["text/html", "image/svg+xml", "text/plain"])
        #expect(await attach("x.html", "text/html", Data("hi".utf8), limits: permissive)?.code == .invalidValue, "HTML never, even when listed")
        #expect(await attach("x.svg", "image/svg+xml", Data("hi".utf8), limits: permissive)?.code == .invalidValue, "SVG never, even when listed")
        let disguised = await attach("x.txt", "text/plain", Data("\u{FEFF}  \n<!DOCTYPE html><script>alert(1)</script>".utf8))
        #expect(disguised?.code == .invalidValue && disguised?.message.contains("web page") == true)
        #expect(await attach("x.pdf", "application/pdf", Data("<svg onload=x>".utf8))?.code == .invalidValue)
        #expect(await attach("x.pdf", "application/pdf", Data())?.code == .invalidValue)
        #expect(await attach("../..", "application/pdf")?.code == .invalidValue)
        #expect(await attach("\u{01}\u{7F}", "application/pdf")?.code == .invalidValue)
        #expect(try await store.events(caseID: c.id).count == c.version, "refusals write nothing to the case")
        #expect(try await store.records(streamPrefix: "attachments/").isEmpty, "nor any content")
        _ = try await e.attach(number: c.number, fileName: "a.pdf", mediaType: "application/pdf", content: Self.pdf, by: "clerk1", at: at("2026-09-30T11:00"))
        let twice = await attach("again.pdf")
        #expect(twice?.code == .invalidValue && twice?.message.contains("already attached") == true)
        let stale = await refusal { try await e.attach(number: c.number, fileName: "b.txt", mediaType: "text/plain", content: Data("x".utf8),
                                                       by: "clerk1", at: at("2026-09-30T12:00"), expectedVersion: c.version) }
        #expect(stale?.code == .conflict)
    }

    @Test("file names: last path component, no control or direction characters, at most 200 characters with the extension kept")
    func names() {
        #expect(AttachmentLimits.sanitizedFileName(#"C:\Users\张三\Desktop\来信.pdf"#) == "来信.pdf")
        #expect(AttachmentLimits.sanitizedFileName("../../etc/passwd") == "passwd")
        #expect(AttachmentLimits.sanitizedFileName("a\u{0}b\r\n.pdf") == "ab.pdf")
        #expect(AttachmentLimits.sanitizedFileName("invoice\u{202E}fdp.exe") == "invoicefdp.exe")
        let long = AttachmentLimits.sanitizedFileName(String(repeating: "长", count: 300) + ".docx")
        #expect(long?.count == 200 && long?.hasSuffix("长.docx") == true)
        #expect(AttachmentLimits.sanitizedFileName("  ") == nil)
        #expect(AttachmentLimits.sizeText(512) == "512 B")
        #expect(AttachmentLimits.sizeText(120 * 1024) == "120 KB")
        #expect(AttachmentLimits.sizeText(10 * 1024 * 1024) == "10 MB")
    }

    @Test("who may attach: a person of the pack, not read-only, who sees the case; a closed case still takes files")
    func who() async throws {
        let (e, _, c) = try await setUp()
        func attach(_ by: String, _ name: String) async -> KesuError? {
            await refusal { try await e.attach(number: c.number, fileName: name, mediaType: "text/plain", content: Data(name.utf8), by: by,
                                               at: at("2026-09-30T11:00")) }
        }
        #expect(await attach("nobody", "1.txt")?.code == .unknownUser)
        #expect(await attach("audit1", "2.txt")?.code == .forbidden, "read-only")
        let other = await attach("b_liaison", "3.txt")
        #expect(other?.code == .forbidden && other?.message.contains("unit_a") == true, "another unit's case: \(other.map(\.message) ?? "")")
        #expect(await attach("a_liaison", "4.txt") == nil, "the handling unit's liaison")
        #expect(await attach("chief", "5.txt") == nil, "a scope-all role")
    }

    @Test("download: only through a case that has the file, and only for someone who sees that case")
    func download() async throws {
        let (e, store, c) = try await setUp()
        let other = try await e.intake(fields: ["channel": "phone", "kind": "complaint", "description": "送货晚", "category": "delivery"],
                                       by: "clerk1", at: at("2026-09-30T10:05")).state
        let next = try await e.attach(number: c.number, fileName: "照片.png", mediaType: "image/png", content: Self.pdf, by: "clerk1", at: at("2026-09-30T11:00"))
        let hash = next.attachments[0].sha256
        #expect(await refusal { try await e.attachment(number: other.number, sha256: hash) }?.code == .notFound,
                "another case does not give content it does not have")
        #expect(await refusal { try await e.attachment(number: c.number, sha256: String(repeating: "0", count: 64)) }?.code == .notFound)
        #expect(await refusal { try await e.attachment(number: c.number, sha256: hash, by: "b_liaison") }?.code == .forbidden)
        #expect(try await e.attachment(number: c.number, sha256: hash.uppercased(), by: "a_liaison").1 == Self.pdf)
        // Attaching the same content to the other case stores nothing more.
        _ = try await e.attach(number: other.number, fileName: "same.png", mediaType: "image/png", content: Self.pdf, by: "clerk1", at: at("2026-09-30T11:05"))
        #expect(try await store.records(streamPrefix: "attachments/").count == 1)
        #expect(try await e.attachment(number: other.number, sha256: hash).0.fileName == "same.png")
    }

    @Test("a closed case still takes attachments (the archive)")
    func closedCase() async throws {
        let store = MemoryStore()
        let e = try Engine(pack: pack, store: store)
        let c = try await e.intake(fields: ["channel": "phone", "kind": "inquiry", "description": "问营业时间"], by: "clerk1", at: at("2026-09-30T10:00")).state
        let closed = try await e.act(c.number, transition: "answer_on_spot", fields: ["result": "已答复"], by: "clerk1", at: at("2026-09-30T10:30"))
        try #require(closed.isClosed)
        let next = try await e.attach(number: c.number, fileName: "录音.mp3", mediaType: "audio/mpeg", content: Data([0xFF, 0xFB, 0x90, 0x00]),
                                      by: "clerk1", at: at("2026-10-08T09:00"))
        #expect(next.isClosed && next.attachments.count == 1)
    }

    @Test("the hash of contiguous bytes is the hash of the same bytes one at a time")
    func hashing() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var split = SHA256()
        split.update(bytes[0..<3])
        split.update(Data(bytes[3..<200]))
        split.update(AnySequence(bytes[200...]))
        #expect(split.finalize() == { var h = SHA256(); h.update(AnySequence(bytes)); return h.finalize() }())
        #expect(SHA256.hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}

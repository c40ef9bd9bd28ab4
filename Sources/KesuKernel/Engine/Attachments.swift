import Foundation

/// What a deployment takes as an attachment: how big and which media types.
public struct AttachmentLimits: Sendable, Equatable {
    /// The largest file accepted, in bytes.
    public var maxBytes: Int
    /// Base media types accepted (`application/pdf`), lower case. HTML and SVG are refused even when listed:
    /// a file served back must never run as a page.
    public var allowedTypes: [String]

    public init(maxBytes: Int = 10 * 1024 * 1024, allowedTypes: [String] = AttachmentLimits.defaultTypes) {
        self.maxBytes = maxBytes
        self.allowedTypes = allowedTypes.map { AttachmentLimits.baseType($0) }
    }

    public static let standard = AttachmentLimits()

    /// Letters, photos, recordings and office documents.
    public static let defaultTypes = [
        "application/pdf", "image/jpeg", "image/png", "audio/mpeg", "audio/wav", "audio/x-wav", "audio/mp4", "text/plain",
        "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ]

    /// Types never accepted, whatever the deployment lists: a browser would render them as active content.
    public static let neverTypes: Set<String> = ["text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml"]

    /// `Text/Plain; charset=utf-8` → `text/plain`.
    public static func baseType(_ mediaType: String) -> String {
        String(mediaType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            .trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// `512 B`, `120 KB`, `1.5 MB` (binary units, as file managers show them).
    public static func sizeText(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        if bytes < 1024 * 1024 { return "\(Int((Double(bytes) / 1024).rounded())) KB" }
        let mb = Double(bytes) / (1024 * 1024)
        let tenths = (mb * 10).rounded() / 10
        return tenths == tenths.rounded() ? "\(Int(tenths)) MB" : "\(tenths) MB"
    }

    /// Whether the content starts like a web page or an SVG (after a byte-order mark and white space),
    /// whatever type it is declared as.
    public static func looksLikeMarkup(_ content: Data) -> Bool {
        var bytes = content.prefix(512)[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        bytes = bytes.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0x0C }
        let head = String(decoding: bytes.prefix(32), as: UTF8.self).lowercased()
        return ["<!doctype html", "<html", "<head", "<body", "<script", "<iframe", "<svg", "<?xml", "<!--"].contains { head.hasPrefix($0) }
    }

    /// The file name kept: its last path component (some browsers send the whole path), without control or
    /// direction-changing characters, trimmed, at most 200 characters (the extension kept). Nil when nothing is left.
    public static func sanitizedFileName(_ raw: String) -> String? {
        let last = raw.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let bidi: ClosedRange<UInt32> = 0x202A...0x202E
        var cleaned = String(String.UnicodeScalarView(last.unicodeScalars.filter { s in
            !(s.properties.generalCategory == .control || bidi.contains(s.value) || (0x2066...0x2069).contains(s.value)
                || s.value == 0x200E || s.value == 0x200F || s.value == 0xFEFF)
        })).trimmingCharacters(in: .whitespaces)
        if cleaned.isEmpty || cleaned == "." || cleaned == ".." { return nil }
        if cleaned.count > 200 {
            let ext = cleaned.lastIndex(of: ".").map { String(cleaned[$0...]) }.flatMap { $0.count <= 20 ? $0 : nil } ?? ""
            cleaned = String(cleaned.prefix(200 - ext.count)) + ext
        }
        return cleaned
    }
}

extension Engine {
    /// The record stream that holds the content with this hash.
    public static func attachmentStream(_ sha256: String) -> String { "attachments/\(sha256)" }

    /// The record type of a stored attachment's content.
    static let attachmentRecordType = "content"

    struct StoredContent: Codable {
        /// The bytes, base64: record bodies are JSON text.
        var content: String
        var size: Int
    }

    /// Attaches a file to a case. `actorID` must be a person of the pack, not read-only, who may see the case.
    /// The content is stored once per content (stream `attachments/<sha256>`), then `attachment_added` is
    /// appended to the case at `expectedVersion`. A refused attach writes nothing to the case; content stored
    /// by an attach that then lost a version race stays, unreferenced, for the next one.
    /// A closed case still takes attachments: a letter or a recording can arrive after the case is closed, and
    /// the file belongs with it in the archive.
    @discardableResult
    public func attach(
        number: String, fileName: String, mediaType: String, content: Data, by actorID: String, at now: Date,
        expectedVersion: Int? = nil, limits: AttachmentLimits = .standard
    ) async throws -> CaseState {
        let person = try planner.person(actorID)
        let principal = Principal(person: person, roles: person.roles.compactMap { pack.role($0) })
        if principal.readOnly {
            throw KesuError(.forbidden, "\(person.id) (\(person.name)) has a read-only role and may not attach files", field: "actor", value: actorID)
        }
        let current = try await find(number)
        guard principal.canSee(handlingUnit: current.handlingUnit) else {
            throw KesuError(.forbidden, "\(person.id) (\(person.name)) may not attach files to case \(current.number): it is handled by "
                            + "\(current.handlingUnit ?? "no unit yet") and \(person.id) sees only the cases of \(person.unit)")
        }
        try Self.check(expectedVersion, against: current)
        guard let name = AttachmentLimits.sanitizedFileName(fileName) else {
            throw KesuError(.invalidValue, "the file needs a name (got '\(fileName)')", field: "file", value: fileName)
        }
        let type = AttachmentLimits.baseType(mediaType)
        if content.isEmpty { throw KesuError(.invalidValue, "\(name) is empty: nothing to attach", field: "file", value: name) }
        if content.count > limits.maxBytes {
            throw KesuError(.tooLarge, "\(name) is \(AttachmentLimits.sizeText(content.count)); attachments may be at most "
                            + "\(AttachmentLimits.sizeText(limits.maxBytes))", field: "file", value: name)
        }
        let allowed = limits.allowedTypes.filter { !AttachmentLimits.neverTypes.contains($0) }
        guard allowed.contains(type), !AttachmentLimits.neverTypes.contains(type) else {
            throw KesuError(.invalidValue, "\(name) is of type '\(type.isEmpty ? mediaType : type)', which is not accepted; accepted types: "
                            + allowed.joined(separator: ", "), field: "file", value: type, candidates: allowed)
        }
        if AttachmentLimits.looksLikeMarkup(content) {
            throw KesuError(.invalidValue, "\(name) looks like a web page or an SVG image, whatever its declared type (\(type)); such files are not accepted",
                            field: "file", value: name)
        }
        let hash = SHA256.hex(content)
        if let same = current.attachments.first(where: { $0.sha256 == hash }) {
            throw KesuError(.invalidValue, "this file is already attached to case \(current.number) as \(same.fileName)", field: "file", value: name)
        }
        try await storeContent(content, sha256: hash, by: actorID, at: now)
        let rules = try await planner(for: current)
        let event = Event(caseID: current.id, at: now, actor: actorID, packVersion: rules.pack.version,
                          body: .attachmentAdded(fileName: name, mediaType: type, size: content.count, sha256: hash))
        return try await commit([event], to: current, under: rules)
    }

    /// Writes the content unless the store holds it already (same hash: same bytes).
    func storeContent(_ content: Data, sha256 hash: String, by actorID: String, at now: Date) async throws {
        let stream = Self.attachmentStream(hash)
        if try await store.recordsVersion(stream: stream) > 0 { return }
        let body = String(decoding: try JSONEncoder().encode(StoredContent(content: content.base64EncodedString(), size: content.count)), as: UTF8.self)
        let record = RecordEvent(at: now, actor: actorID, type: Self.attachmentRecordType, packVersion: pack.version, body: body)
        do {
            try await store.appendRecords(stream: stream, expectedVersion: 0, events: [record])
        } catch StoreError.recordConflict {
            // Someone stored the same content meanwhile.
        }
    }

    /// An attachment of a case and its content, found by the content's hash: only a case that has it gives it, so
    /// who may download a file is who may see the case. With `viewerID`, the person must be of the pack and see the case.
    public func attachment(number: String, sha256: String, by viewerID: String? = nil) async throws -> (CaseAttachment, Data) {
        let current = try await find(number)
        if let viewerID {
            let person = try planner.person(viewerID)
            let principal = Principal(person: person, roles: person.roles.compactMap { pack.role($0) })
            guard principal.canSee(handlingUnit: current.handlingUnit) else {
                throw KesuError(.forbidden, "\(person.id) (\(person.name)) may not see case \(current.number): it is handled by "
                                + "\(current.handlingUnit ?? "no unit yet") and \(person.id) sees only the cases of \(person.unit)")
            }
        }
        let hash = sha256.lowercased()
        guard let meta = current.attachments.first(where: { $0.sha256 == hash }) else {
            throw KesuError(.notFound, "case \(current.number) has no attachment \(sha256)", field: "sha256", value: sha256)
        }
        guard let record = try await store.records(stream: Self.attachmentStream(hash)).first,
              let stored = try? JSONDecoder().decode(StoredContent.self, from: Data(record.body.utf8)),
              let data = Data(base64Encoded: stored.content), data.count == meta.size else {
            throw StoreError.failure(operation: "reading attachment \(hash) of case \(current.number)", detail: "its content is missing or damaged")
        }
        return (meta, data)
    }
}

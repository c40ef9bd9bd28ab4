import CZlib
import Foundation

/// A pack folder uploaded as a zip (the rules desk's candidate packs): its files by path relative
/// to the folder holding `pack.yaml`. Only what a pack folder holds is accepted: stored or deflated
/// entries, no encryption, no absolute or `..` paths, and limits on count and size, so an upload
/// cannot write outside its folder or inflate without bound.
public struct PackArchive: Sendable {
    public struct Limits: Sendable {
        public var maxEntries: Int
        /// The sum of the files' inflated sizes.
        public var maxTotalBytes: Int
        public init(maxEntries: Int = 2000, maxTotalBytes: Int = 32 << 20) {
            self.maxEntries = maxEntries; self.maxTotalBytes = maxTotalBytes
        }
    }

    /// Why an archive was refused: what, and for which entry.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// Files below the folder that holds `pack.yaml` (the shallowest one), by relative path.
    public var files: [String: [UInt8]]
    /// That folder inside the archive (`""` when `pack.yaml` is at the top).
    public var folder: String

    /// Reads a zip; throws `Failure` saying what is wrong with it.
    public init(zip data: [UInt8], limits: Limits = Limits()) throws {
        let all = try Self.entries(data, limits: limits)
        let packFiles = all.keys.filter { $0 == "pack.yaml" || $0.hasSuffix("/pack.yaml") }
        guard let root = packFiles.min(by: { ($0.split(separator: "/").count, $0) < ($1.split(separator: "/").count, $1) }) else {
            throw Failure("the archive holds no pack.yaml: zip the pack folder (the one with pack.yaml in it)")
        }
        folder = root == "pack.yaml" ? "" : String(root.dropLast("/pack.yaml".count))
        let prefix = folder.isEmpty ? "" : folder + "/"
        var files: [String: [UInt8]] = [:]
        for (path, bytes) in all where path.hasPrefix(prefix) {
            files[String(path.dropFirst(prefix.count))] = bytes
        }
        self.files = files
    }

    /// Every regular file of the archive by its path; directories, `__MACOSX/` and dot files skipped.
    static func entries(_ d: [UInt8], limits: Limits) throws -> [String: [UInt8]] {
        func u16(_ i: Int) -> Int { Int(d[i]) | Int(d[i + 1]) << 8 }
        func u32(_ i: Int) -> Int { u16(i) | u16(i + 2) << 16 }
        guard d.count >= 22 else { throw Failure("not a zip archive (too short)") }
        // The end-of-central-directory record: the last 22 bytes, or further back past a comment.
        var eocd = -1
        var i = d.count - 22
        while i >= max(0, d.count - 22 - 65_535) {
            if u32(i) == 0x0605_4b50 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw Failure("not a zip archive (no central directory)") }
        let count = u16(eocd + 10)
        let cdOffset = u32(eocd + 16)
        guard count <= limits.maxEntries else {
            throw Failure("the archive holds \(count) entries; at most \(limits.maxEntries) are accepted")
        }
        var out: [String: [UInt8]] = [:]
        var total = 0
        var p = cdOffset
        for _ in 0..<count {
            guard p + 46 <= d.count, u32(p) == 0x0201_4b50 else { throw Failure("the archive's central directory is damaged") }
            let flags = u16(p + 8), method = u16(p + 10)
            let crc = UInt32(u32(p + 16)), compressed = u32(p + 20), size = u32(p + 24)
            let nameLength = u16(p + 28), extraLength = u16(p + 30), commentLength = u16(p + 32)
            let local = u32(p + 42)
            guard p + 46 + nameLength <= d.count else { throw Failure("the archive's central directory is damaged") }
            let name = String(decoding: d[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            p += 46 + nameLength + extraLength + commentLength
            let parts = name.split(separator: "/", omittingEmptySubsequences: true)
            if name.hasSuffix("/") || parts.first == "__MACOSX" || parts.last?.hasPrefix(".") == true { continue }
            guard !name.hasPrefix("/"), !name.contains("\\"), !parts.contains("..") else {
                throw Failure("entry '\(name)' points outside the folder; zip the pack folder with relative paths")
            }
            guard flags & 1 == 0 else { throw Failure("entry '\(name)' is encrypted; upload an archive without a password") }
            total += size
            guard total <= limits.maxTotalBytes else {
                throw Failure("the archive inflates to more than \(limits.maxTotalBytes >> 20) MB; a pack folder is far smaller")
            }
            guard local + 30 <= d.count, u32(local) == 0x0403_4b50 else { throw Failure("entry '\(name)' is damaged") }
            let start = local + 30 + u16(local + 26) + u16(local + 28)
            guard start + compressed <= d.count else { throw Failure("entry '\(name)' is cut short") }
            let raw = Array(d[start..<(start + compressed)])
            let bytes: [UInt8]
            switch method {
            case 0: bytes = raw
            case 8: bytes = try inflate(raw, size: size, name: name)
            default: throw Failure("entry '\(name)' uses compression method \(method); zip with the usual (deflate) compression")
            }
            guard bytes.count == size else { throw Failure("entry '\(name)' is damaged (size differs)") }
            let actual = bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
            guard actual == crc else { throw Failure("entry '\(name)' is damaged (checksum differs)") }
            out[parts.joined(separator: "/")] = bytes
        }
        return out
    }

    /// Raw deflate (zip's method 8) into exactly `size` bytes: never more than the entry declares.
    static func inflate(_ input: [UInt8], size: Int, name: String) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size)
        if size == 0 { return output }
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure("cannot inflate entry '\(name)'")
        }
        defer { inflateEnd(&stream) }
        var input = input
        let status = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(outBuf.count)
                return CZlib.inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == size else {
            throw Failure("entry '\(name)' is damaged (cannot inflate)")
        }
        return output
    }
}

import Foundation
import Mustache

/// The console's mustache templates and static assets, read once from the target's resources.
/// `{{…}}` escapes HTML, so every value from a case renders as text; templates never use `{{{…}}}`.
struct ConsolePages: Sendable {
    let library: MustacheLibrary
    let assets: [String: (data: [UInt8], type: String)]

    static let shared = ConsolePages()

    init() {
        var library = MustacheLibrary()
        var assets: [String: (data: [UInt8], type: String)] = [:]
        let fm = FileManager.default
        if let root = Bundle.module.resourceURL {
            let templates = root.appendingPathComponent("Templates")
            for name in (try? fm.contentsOfDirectory(atPath: templates.path)) ?? [] where name.hasSuffix(".mustache") {
                if let text = try? String(contentsOf: templates.appendingPathComponent(name), encoding: .utf8) {
                    // A template that does not parse is a bug caught by the console tests (every page is rendered there).
                    try? library.register(text, named: String(name.dropLast(".mustache".count)))
                }
            }
            let dir = root.appendingPathComponent("Assets")
            for name in (try? fm.contentsOfDirectory(atPath: dir.path)) ?? [] where !name.hasPrefix(".") {
                guard let data = fm.contents(atPath: dir.appendingPathComponent(name).path) else { continue }
                let type = name.hasSuffix(".css") ? "text/css; charset=utf-8" : name.hasSuffix(".js") ? "text/javascript; charset=utf-8" : "application/octet-stream"
                assets[name] = (Array(data), type)
            }
        }
        self.library = library
        self.assets = assets
    }

    func render(_ page: Any, _ template: String) -> String {
        library.render(page, withTemplate: template) ?? "<!doctype html><title>模板缺失</title><p>模板 \(template) 缺失</p>"
    }

    func asset(_ name: String) -> (data: [UInt8], type: String)? { assets[name] }
}

import Foundation
import KesuKernel
import Yams

/// One item of a list (a routing rule, a clock, a state…) with the reader of the file it was written in,
/// so its diagnostics point at that file even when it is inherited from a pack extended.
struct SectionItem {
    let reader: NodeReader
    let node: Node

    /// The item's `id`, if it is a mapping with a text id.
    var id: String? {
        guard case let .mapping(map) = node, let value = map["id"], case let .scalar(s) = value,
              !NodeReader.isNull(value) else { return nil }
        return s.string
    }
}

/// A mapping section whose lists of items merge by id (`procedure`, `scoring`): every other key comes
/// from the nearest pack that gives it, each list is merged through the packs extended.
struct MergedSection {
    /// The nearest pack's mapping: the section's location.
    let reader: NodeReader
    let node: Node
    let what: String
    var values: [String: SectionSource] = [:]
    var lists: [String: [SectionItem]] = [:]

    var location: SourceLocation { reader.location(node) }
    func label(_ key: String) -> String { "'\(key)' of \(what)" }
    subscript(_ key: String) -> SectionSource? { values[key] }
    func items(_ key: String) -> [SectionItem] { lists[key] ?? [] }
    func string(_ key: String) -> String? { values[key].flatMap { $0.reader.string($0.value, label(key)) } }
    func number(_ key: String) -> Double? { values[key].flatMap { $0.reader.number($0.value, label(key)) } }
}

/// Keys of a list item that place it in the list of the pack it extends; never seen by the item readers.
enum Placement {
    static let keys = ["before", "after", "remove"]
}

extension LoadSession {
    /// The items of list section `name` (`what` names one item), merged from the root pack down to this one.
    func mergedList(_ name: String, _ what: String) -> [SectionItem] {
        var merged: [SectionItem] = []
        for layer in layers.reversed() {
            guard let s = layer.sections[name], let nodes = s.reader.list(s.value, "section '\(name)'") else { continue }
            merged = merge(merged, nodes.map { SectionItem(reader: s.reader, node: $0) }, what, layer)
        }
        return merged
    }

    /// Section `name` given as a mapping in one or more packs: plain keys from the nearest pack giving
    /// each, lists in `idLists` (key → what one item is called) merged by id. `required` is checked on
    /// the result. Nil if no pack gives the section as a mapping.
    func mergedSection(_ name: String, _ what: String, allowed: [String], required: [String],
                       idLists: [String: String]) -> MergedSection? {
        var merged: MergedSection?
        for layer in layers.reversed() {
            guard let s = layer.sections[name], let m = s.reader.mapping(s.value, what, allowed: allowed) else { continue }
            var next = MergedSection(reader: s.reader, node: s.value, what: what, values: merged?.values ?? [:],
                                     lists: merged?.lists ?? [:])
            for key in m.order {
                guard let entry = m.entries[key] else { continue }
                if let itemWhat = idLists[key] {
                    guard let nodes = s.reader.list(entry.value, m.label(key)) else { continue }
                    next.lists[key] = merge(next.lists[key] ?? [], nodes.map { SectionItem(reader: s.reader, node: $0) },
                                            itemWhat, layer)
                } else {
                    next.values[key] = SectionSource(reader: s.reader, key: entry.key, value: entry.value)
                }
            }
            merged = next
        }
        if let merged {
            for key in required where merged.values[key] == nil && merged.lists[key] == nil {
                merged.reader.error(merged.node, "\(what) is missing required key '\(key)'")
            }
        }
        return merged
    }

    /// Merges the items one pack gives (`overlay`) into the items inherited (`base`):
    /// a known id replaces the inherited item in place, a new id is appended, `before: ID` / `after: ID`
    /// place an item, `remove: true` deletes an inherited item. In a pack that extends nothing the
    /// items are kept as written (placement keys are refused), so duplicates reach the validator.
    func merge(_ base: [SectionItem], _ overlay: [SectionItem], _ what: String, _ layer: PackLayer) -> [SectionItem] {
        var result = base
        let inherited = Set(base.compactMap(\.id))
        var replaced: Set<String> = []
        for raw in overlay {
            let (item, place) = splitPlacement(raw, what, allowed: layer.extends)
            guard layer.extends else {
                if !place.remove { result.append(item) }
                continue
            }
            let r = item.reader
            guard let id = item.id else {
                if !place.remove { result.append(item) }  // the item reader reports the missing id
                continue
            }
            // Only an item inherited and not yet given here is replaced; a second item with the same id is a duplicate.
            let existing = inherited.contains(id) && !replaced.contains(id) ? result.firstIndex { $0.id == id } : nil
            if place.remove {
                if let existing {
                    result.remove(at: existing)
                    replaced.insert(id)
                } else if layer.parentLoaded {
                    let idNode = item.node.mapping?["id"] ?? item.node
                    r.error(idNode, "cannot remove \(what) '\(id)': the pack extended has no \(what) '\(id)'"
                        + Suggest.hint(for: id, in: result.compactMap(\.id)))
                }
                continue
            }
            if existing != nil { replaced.insert(id) }
            guard let (targetNode, target, after) = place.anchor else {
                if let existing { result[existing] = item } else { result.append(item) }
                continue
            }
            // Placed: a replaced item moves there, a new one goes there.
            var rest = result
            if let existing { rest.remove(at: existing) }
            if let anchor = rest.firstIndex(where: { $0.id == target }) {
                rest.insert(item, at: after ? anchor + 1 : anchor)
                result = rest
            } else {
                if layer.parentLoaded {
                    r.error(targetNode, "\(what) '\(id)' is placed \(after ? "after" : "before") unknown \(what) '\(target)'"
                        + Suggest.hint(for: target, in: rest.compactMap(\.id)))
                }
                if let existing { result[existing] = item } else { result.append(item) }
            }
        }
        return result
    }

    /// An item's placement keys, and the item without them. Placement keys are reported in a pack that extends nothing.
    func splitPlacement(_ item: SectionItem, _ what: String, allowed: Bool)
        -> (SectionItem, (remove: Bool, anchor: (node: Node, id: String, after: Bool)?)) {
        guard case let .mapping(map) = item.node,
              map.contains(where: { Placement.keys.contains($0.key.scalar?.string ?? "") }) else { return (item, (false, nil)) }
        let r = item.reader
        let name = item.id.map { "\(what) '\($0)'" } ?? what
        var remove = false
        var anchors: [(node: Node, id: String, after: Bool)] = []
        var kept: [(Node, Node)] = []
        var others: [Node] = []
        for (key, value) in map {
            guard let k = key.scalar?.string, Placement.keys.contains(k) else {
                kept.append((key, value))
                if key.scalar?.string != "id" { others.append(key) }
                continue
            }
            guard allowed else {
                r.error(key, "'\(k)' of \(name) is allowed only in a pack that extends another (pack: extends: FOLDER)")
                if k == "remove" { remove = r.bool(value, "'remove' of \(name)") ?? false }
                continue
            }
            if k == "remove" {
                remove = r.bool(value, "'remove' of \(name)") ?? false
            } else if let target = r.string(value, "'\(k)' of \(name)") {
                anchors.append((value, target, k == "after"))
            }
        }
        if anchors.count > 1 {
            r.error(item.node, "\(name) has both 'before' and 'after'; give one")
        }
        if remove, allowed, let first = others.first {
            r.error(first, "\(name) is removed, so it takes only 'id' and 'remove'")
        }
        let stripped = Node.mapping(Node.Mapping(kept, map.tag, map.style, map.mark))
        return (SectionItem(reader: r, node: stripped), (remove, anchors.count == 1 ? anchors[0] : nil))
    }
}

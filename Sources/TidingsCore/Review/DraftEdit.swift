import Foundation

/// A reviewer's change to a draft: the parts a person edits (subjects, preheader, body blocks),
/// each optional; what is absent stays as it was. Product picks, the offer and the call to action
/// stay as the validator passed them.
package struct DraftEdit: Sendable, Hashable {
    /// The new subject options, best first.
    package var subjects: [String]?
    /// The new preview text.
    package var preheader: String?
    /// The new body blocks.
    package var blocks: [DraftBlock]?

    /// Creates an edit; nil leaves a part as it was.
    package init(subjects: [String]? = nil, preheader: String? = nil, blocks: [DraftBlock]? = nil) {
        self.subjects = subjects
        self.preheader = preheader
        self.blocks = blocks
    }

    /// The editable parts of `draft` as the JSON document `decode` reads (what `$EDITOR` opens).
    package static func document(of draft: Draft) -> [UInt8] {
        let blocks: [JSONValue] = draft.blocks.map { block in
            .object([
                "kind": .string(block.kind.rawValue), "text": .string(block.text),
                "product_id": block.productID.map(JSONValue.string) ?? .null,
            ])
        }
        let value: JSONValue = .object([
            "subjects": .array(draft.subjects.map(JSONValue.string)), "preheader": .string(draft.preheader),
            "blocks": .array(blocks),
        ])
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: try JSONSerialization.jsonObject(with: Data(CanonicalJSON.bytes(value))),
                options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return CanonicalJSON.bytes(value) }
        return Array(data) + [10]
    }

    /// Reads an edit: a JSON object with any of `subjects` (an array of strings; `subject`, one
    /// string, is accepted too and replaces the first option), `preheader` (a string) and
    /// `blocks` (objects with `kind`, `text` and optional `product_id`). Throws `InputError` naming
    /// the field at fault; unknown keys are refused, so a misspelt one is not silently dropped.
    package static func decode(_ bytes: [UInt8], current: Draft) throws(InputError) -> DraftEdit {
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw InputError(.malformedJSON, path: "$", reason: "the edit is not JSON: \(error)")
        }
        let reader = try JSONObjectReader(document)
        if let unknown = reader.members.keys.sorted().first(where: {
            !["subjects", "subject", "preheader", "blocks"].contains($0)
        }) {
            throw InputError(
                .invalidField, path: reader.path(of: unknown),
                reason: "unknown key; an edit has subjects (or subject), preheader and blocks")
        }
        var edit = DraftEdit()
        if reader.value("subjects") != nil { edit.subjects = try reader.strings("subjects") }
        if let subject = try reader.optionalString("subject") {
            var subjects = edit.subjects ?? current.subjects
            if subjects.isEmpty { subjects = [subject] } else { subjects[0] = subject }
            edit.subjects = subjects
        }
        edit.preheader = try reader.optionalString("preheader")
        if reader.value("blocks") != nil {
            var blocks: [DraftBlock] = []
            for entry in try reader.objects("blocks") {
                let kindName = try entry.string("kind")
                guard let kind = DraftBlock.Kind(rawValue: kindName) else {
                    throw InputError(
                        .invalidField, path: entry.path(of: "kind"),
                        reason: "'\(kindName.prefix(40))' is not greeting, paragraph, product, offer or signoff")
                }
                blocks.append(
                    DraftBlock(
                        kind: kind, text: try entry.string("text"), productID: try entry.optionalString("product_id")))
            }
            edit.blocks = blocks
        }
        return edit
    }
}

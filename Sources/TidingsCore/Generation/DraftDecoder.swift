import Foundation

/// Decodes a model's JSON answer into a `Draft`, checking it against `PromptLibrary.draftSchema`:
/// a schema violation is a finding with the JSON path, not a crash.
public enum DraftDecoder {
    /// Decodes and schema-checks the answer; throws `InputError` naming the JSON path of the first problem.
    public static func decode(_ text: String) throws(InputError) -> Draft {
        let document: JSONValue
        do {
            document = try JSONParser.parse(text)
        } catch {
            throw InputError(.malformedJSON, path: "$", reason: "the model's answer is not JSON (\(error))")
        }
        let root = try JSONObjectReader(document)
        let allowed: Set<String> = ["subjects", "preheader", "blocks", "product_picks", "offer", "call_to_action"]
        if let extra = root.members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw InputError(.invalidField, path: root.path(of: extra), reason: "not allowed by the schema")
        }
        let subjects = try root.strings("subjects")
        guard (3...5).contains(subjects.count) else {
            throw InputError(.invalidField, path: "$.subjects", reason: "needs 3 to 5 options, found \(subjects.count)")
        }
        var blocks: [DraftBlock] = []
        for block in try root.objects("blocks") {
            let kindText = try block.string("kind")
            guard let kind = DraftBlock.Kind(rawValue: kindText) else {
                throw InputError(
                    .invalidField, path: block.path(of: "kind"), reason: "'\(kindText)' is not a block kind")
            }
            blocks.append(
                DraftBlock(kind: kind, text: try block.string("text"), productID: try block.optionalID("product_id")))
        }
        guard blocks.count >= 2 else {
            throw InputError(.invalidField, path: "$.blocks", reason: "needs at least 2 blocks, found \(blocks.count)")
        }
        var offer: DraftOffer?
        if let reader = try root.optionalObject("offer") {
            let kindText = try reader.string("kind")
            guard let kind = DraftOffer.Kind(rawValue: kindText) else {
                throw InputError(
                    .invalidField, path: reader.path(of: "kind"), reason: "'\(kindText)' is not an offer kind")
            }
            offer = DraftOffer(kind: kind, percent: try reader.int("percent"), code: try reader.string("code"))
        }
        let action = try root.object("call_to_action")
        let preheader = try root.string("preheader")
        guard preheader.count <= 140 else {
            throw InputError(.invalidField, path: "$.preheader", reason: "longer than 140 characters")
        }
        return Draft(
            subjects: subjects, preheader: preheader, blocks: blocks, productPicks: try root.strings("product_picks"),
            offer: offer, callToAction: CallToAction(label: try action.string("label"), url: try action.string("url")))
    }
}

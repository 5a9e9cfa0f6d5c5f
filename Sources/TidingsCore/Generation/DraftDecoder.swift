import Foundation

/// Decodes a model's JSON answer into a `Draft`, checking it against the schema the model was
/// given (`PromptLibrary.draftSchema`, through `JSONSchemaChecker`): the schema is written once,
/// and a schema violation is an error with the JSON path, not a crash.
package enum DraftDecoder {
    /// Decodes and schema-checks the answer; throws `InputError` naming the JSON path of the first problem.
    package static func decode(_ text: String) throws(InputError) -> Draft {
        try decode(text, schema: PromptLibrary.draftSchema)
    }

    /// Decodes an answer checked against `schema`, which must describe a draft (the kinds of blocks
    /// and offers it allows must be ones `Draft` knows); throws `InputError` naming the JSON path.
    package static func decode(_ text: String, schema: JSONValue) throws(InputError) -> Draft {
        try decodeDocument(text, schema: schema).draft
    }

    /// Decodes and schema-checks the answer, returning the draft and the parsed document it was
    /// read from (what the audit keeps as the decoded draft); throws `InputError` as `decode`.
    package static func decodeDocument(_ text: String, schema: JSONValue = PromptLibrary.draftSchema)
        throws(InputError) -> (draft: Draft, document: JSONValue)
    {
        let document: JSONValue
        do {
            document = try JSONParser.parse(text)
        } catch {
            throw InputError(.malformedJSON, path: "$", reason: "the model's answer is not JSON (\(error))")
        }
        try JSONSchemaChecker(schema).check(document)

        // The schema has vouched for the shape; what is left is reading it into the model types.
        let root = try JSONObjectReader(document)
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
        let draft = Draft(
            subjects: try root.strings("subjects"), preheader: try root.string("preheader"), blocks: blocks,
            productPicks: try root.strings("product_picks"), offer: offer,
            callToAction: CallToAction(label: try action.string("label"), url: try action.string("url")))
        return (draft, document)
    }
}

import Foundation
import Testing

@testable import TidingsCore

/// The draft schema is written once: the decoder checks an answer against the schema models are sent.
@Suite("Draft schema")
struct DraftSchemaTests {
    static let answer = """
        {"subjects":["a","b","c","d"],"preheader":"p","blocks":[{"kind":"greeting","text":"Hi","product_id":null},\
        {"kind":"paragraph","text":"Your cart","product_id":"42"}],"product_picks":["42"],"offer":null,\
        "call_to_action":{"label":"Return","url":"https://s.example/c"}}
        """

    /// The draft schema with one keyword of one property replaced.
    static func schema(_ property: String, _ keyword: String, _ value: JSONValue) -> JSONValue {
        guard case .object(var root) = PromptLibrary.draftSchema, case .object(var properties)? = root["properties"],
            case .object(var rules)? = properties[property]
        else { return PromptLibrary.draftSchema }
        rules[keyword] = value
        properties[property] = .object(rules)
        root["properties"] = .object(properties)
        return .object(root)
    }

    func failure(_ text: String, schema: JSONValue = PromptLibrary.draftSchema) -> InputError? {
        do {
            _ = try DraftDecoder.decode(text, schema: schema)
            return nil
        } catch {
            return error
        }
    }

    @Test("A schema-valid answer decodes")
    func decodes() throws {
        let draft = try DraftDecoder.decode(Self.answer)
        #expect(draft.subjects.count == 4 && draft.blocks[1].productID == "42" && draft.offer == nil)
        #expect(draft.callToAction.url == "https://s.example/c")
    }

    @Test("A schema change changes what decodes")
    func schemaDrivesTheDecoder() {
        // Four subjects: fine under maxItems 5, refused under maxItems 3.
        #expect(failure(Self.answer) == nil)
        let tighter = Self.schema("subjects", "maxItems", 3)
        #expect(failure(Self.answer, schema: tighter)?.path == "$.subjects")
        #expect(failure(Self.answer, schema: tighter)?.reason.contains("at most 3") == true)
        // One block: refused under minItems 2, fine when the schema allows one.
        let oneBlock = Self.answer.replacingOccurrences(
            of: #",{"kind":"paragraph","text":"Your cart","product_id":"42"}"#, with: "")
        #expect(failure(oneBlock)?.path == "$.blocks")
        #expect(failure(oneBlock, schema: Self.schema("blocks", "minItems", 1)) == nil)
        // A preheader over the schema's maxLength, counted in code points.
        let long = Self.answer.replacingOccurrences(of: #""preheader":"p""#, with: #""preheader":"ppppp""#)
        #expect(failure(long) == nil)
        #expect(failure(long, schema: Self.schema("preheader", "maxLength", 4))?.path == "$.preheader")
    }

    @Test(
        "Violations name their JSON path",
        arguments: [
            (#""offer":null"#, #""offer":null,"extra":1"#, "$.extra"),
            (#""offer":null"#, "", "$.offer"),  // required, though it may be null
            (#""kind":"greeting""#, #""kind":"poem""#, "$.blocks[0].kind"),
            (#""offer":null"#, #""offer":{"kind":"percent_off","percent":95,"code":"X"}"#, "$.offer.percent"),
            (#""product_picks":["42"]"#, #""product_picks":[42]"#, "$.product_picks[0]"),
            (#""label":"Return""#, #""label":"""#, "$.call_to_action.label"),
        ])
    func pathsAreNamed(original: String, replacement: String, path: String) {
        var text = Self.answer.replacingOccurrences(of: original, with: replacement)
        text = text.replacingOccurrences(of: ",,", with: ",").replacingOccurrences(of: "],}", with: "]}")
        #expect(failure(text)?.path == path, "\(text)")
    }

    @Test("An encoded draft satisfies the schema it is checked against (nulls written)")
    func encodedDraftsPass() throws {
        let draft = try DraftDecoder.decode(Self.answer)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = String(decoding: try encoder.encode(draft), as: UTF8.self)
        #expect(text.contains(#""offer":null"#) && text.contains(#""product_id":null"#))
        #expect(try DraftDecoder.decode(text) == draft)
    }

    @Test("A schema keyword the checker does not implement is refused, not ignored")
    func unsupportedKeyword() {
        #expect(throws: InputError.self) { try JSONSchemaChecker(Self.schema("subjects", "uniqueItems", true)) }
        #expect(throws: Never.self) { try JSONSchemaChecker(PromptLibrary.draftSchema) }
    }
}

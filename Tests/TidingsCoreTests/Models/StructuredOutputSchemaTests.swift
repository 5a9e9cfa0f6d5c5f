import Foundation
import Testing

@testable import TidingsCore

/// The provider copies of the draft schema keep to what each provider's strict mode accepts, and
/// lose nothing silently: dropped bounds move into descriptions, and the full schema still judges.
@Suite("Structured-output schema per provider")
struct StructuredOutputSchemaTests {
    /// Every keyword used anywhere in a schema, with the paths of the objects.
    func walk(_ schema: JSONValue, path: String = "$", visit: (String, [String: JSONValue]) -> Void) {
        guard case .object(let members) = schema else { return }
        visit(path, members)
        if case .object(let properties)? = members["properties"] {
            for (name, property) in properties { walk(property, path: "\(path).\(name)", visit: visit) }
        }
        if let items = members["items"] { walk(items, path: "\(path)[]", visit: visit) }
        if case .array(let branches)? = members["anyOf"] {
            for (index, branch) in branches.enumerated() { walk(branch, path: "\(path)|\(index)", visit: visit) }
        }
    }

    @Test("OpenAI: objects closed and fully required, no string lengths, array sizes and ranges kept")
    func openAI() {
        let schema = StructuredOutputSchema.derive(PromptLibrary.draftSchema, for: .openAI)
        var objects = 0
        walk(schema) { path, members in
            #expect(members["minLength"] == nil && members["maxLength"] == nil, "\(path) keeps a string length")
            if case .array(let types)? = members["type"] { Issue.record("\(path) has a type list \(types)") }
            if case .object(let properties)? = members["properties"] {
                objects += 1
                #expect(members["additionalProperties"] == false, "\(path) is open")
                var required: Set<String> = []
                if case .array(let names)? = members["required"] { required = Set(names.compactMap(\.stringValue)) }
                #expect(required == Set(properties.keys), "\(path) leaves a property optional")
            }
            if members["enum"] != nil { #expect(members["type"] == "string", "\(path) enum without type") }
        }
        #expect(objects == 4)
        let subjects = schema.objectValue?["properties"]?.objectValue?["subjects"]?.objectValue
        #expect(subjects?["minItems"] == 3 && subjects?["maxItems"] == 5)
        let preheader = schema.objectValue?["properties"]?.objectValue?["preheader"]?.objectValue
        #expect(preheader?["description"]?.stringValue == "{minLength: 1, maxLength: 140}")
        // offer: an object or null, as anyOf with a null branch.
        let offer = schema.objectValue?["properties"]?.objectValue?["offer"]?.objectValue
        guard case .array(let branches)? = offer?["anyOf"] else {
            Issue.record("offer is not anyOf")
            return
        }
        #expect(branches.count == 2 && branches[1] == ["type": "null"])
        #expect(branches[0].objectValue?["type"] == "object")
        let percent = branches[0].objectValue?["properties"]?.objectValue?["percent"]?.objectValue
        #expect(percent?["maximum"] == 90)
    }

    @Test("Anthropic: no ranges, no maxItems, minItems only 0 or 1, bounds noted in descriptions")
    func anthropic() {
        let schema = StructuredOutputSchema.derive(PromptLibrary.draftSchema, for: .anthropic)
        walk(schema) { path, members in
            for keyword in ["minimum", "maximum", "maxItems", "minLength", "maxLength"] {
                #expect(members[keyword] == nil, "\(path) keeps \(keyword)")
            }
            if let minimum = members["minItems"] {
                #expect(minimum == 0 || minimum == 1, "\(path) minItems \(minimum)")
            }
        }
        let subjects = schema.objectValue?["properties"]?.objectValue?["subjects"]?.objectValue
        #expect(subjects?["description"]?.stringValue == "{minItems: 3, maxItems: 5}")
    }

    @Test("A draft that meets the provider copy can still fail the full schema, which the decoder applies")
    func fullSchemaStillJudges() throws {
        // Six subjects: the Anthropic copy cannot say "at most 5", the decoder's schema does.
        let text = ModelFixtures.draft.replacingOccurrences(
            of: #""subjects":["#, with: #""subjects":["1","2","3","4","5","#)
        let anthropic = StructuredOutputSchema.derive(PromptLibrary.draftSchema, for: .anthropic)
        #expect(anthropic.objectValue?["properties"]?.objectValue?["subjects"]?.objectValue?["maxItems"] == nil)
        #expect(throws: InputError.self) { try DraftDecoder.decode(text) }
        #expect(try DraftDecoder.decode(ModelFixtures.draft).subjects.count == 3)
    }
}

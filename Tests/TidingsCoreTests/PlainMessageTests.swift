import Foundation
import Testing

@testable import TidingsCore

@Suite("Plain error messages")
struct PlainMessageTests {
    struct Item: Decodable {
        var subject: String
        var score: Int
    }

    @Test("Decoding errors name the JSON path, not CodingKeys")
    func decoding() {
        #expect(throws: (any Error).self) { try JSONDecoder().decode(Item.self, from: Data(#"{"score":1}"#.utf8)) }
        do {
            _ = try JSONDecoder().decode(Item.self, from: Data(#"{"score":1}"#.utf8))
        } catch {
            #expect(PlainMessage.of(error) == "the JSON has no $.subject")
        }
        do {
            _ = try JSONDecoder().decode(Item.self, from: Data(#"{"subject":"x","score":"high"}"#.utf8))
        } catch {
            #expect(PlainMessage.of(error) == "$.score is not a number")
        }
    }

    @Test("File-system errors say which path and what happened, not NSCocoaErrorDomain")
    func fileSystem() {
        do {
            _ = try Data(contentsOf: URL(fileURLWithPath: "/nonexistent/item.json"))
        } catch {
            let message = PlainMessage.of(error)
            #expect(message.hasPrefix("/nonexistent/item.json: "), "\(message)")
            #expect(!message.contains("NSCocoaErrorDomain") && !message.contains("Code="))
            #expect(PlainMessage.replacing(error) != nil)
        }
        struct Own: Error, CustomStringConvertible { var description: String { "own words" } }
        #expect(PlainMessage.replacing(Own()) == nil)
        #expect(PlainMessage.of(Own()) == "own words")
    }

    @Test("A review item that does not decode is named plainly")
    func reviewItem() throws {
        try withTemporaryDirectorySync { folder in
            try Data(#"{"event_id":"x"}"#.utf8).write(to: folder.appendingPathComponent("x.json"))
            do {
                _ = try FolderReviewQueue(directory: folder).pending()
                Issue.record("a broken item was read")
            } catch {
                let text = "\(error)"
                #expect(text.contains("not a readable review item: the JSON has no $."), "\(text)")
                #expect(!text.contains("keyNotFound"))
            }
        }
    }
}

import Foundation
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

/// `replay` over the recorded events with `TIDINGS_COMMERCE=shopify` against the loopback fake:
/// the production GraphQL client on libcurl, every request validated against the schema. Every
/// Shopify event must end exactly as the golden files say (same outcome, reason and subject as
/// with the recorded shop), and every BigCommerce event that reaches enrichment ends
/// `failed` with `no_platform`: a Shopify deployment never enriches another platform's event
/// from recorded data.
@Suite("Replay with TIDINGS_COMMERCE=shopify against the fake", .serialized)
struct ShopifyReplayTests {
    @Test("Every recorded event ends as the golden files say, or no_platform for BigCommerce")
    func replay() async throws {
        try await ShopifyFake.with { fake in
            for (goldenName, folders) in ReplayGoldenTests.goldenSets {
                try await withScratch { scratch in
                    // The co-purchase index `tidings shop index` would have written for the live shop.
                    let derived = scratch.appendingPathComponent("derived")
                    try FileManager.default.createDirectory(at: derived, withIntermediateDirectories: true)
                    try FileManager.default.copyItem(
                        at: RuntimeTestSupport.root.appendingPathComponent(
                            "Events/shop/" + RecordedShop.coPurchasesFile(.shopify)),
                        to: scratch.appendingPathComponent(RecordedShop.coPurchasesFile(.shopify)))
                    let configuration = try fake.configuration(dataDirectory: scratch)
                    #expect(configuration.commerce.source == .shopify)
                    let events = RuntimeTestSupport.root.appendingPathComponent("Events")
                    let files = try Replayer.eventFiles(folders.map { events.appendingPathComponent($0).path })
                    let results = try await Replayer(
                        configuration: configuration, logger: RuntimeTestSupport.quietLogger
                    ).replay(files)
                    let golden = try JSONDecoder().decode(
                        [String: ReplayGoldenTests.Golden].self,
                        from: Data(
                            contentsOf: RuntimeTestSupport.root.appendingPathComponent("Tests/Fixtures/\(goldenName)")))
                    var same = 0
                    var sentOverShopify = 0
                    for result in results {
                        var name = result.file.path.replacingOccurrences(of: events.path + "/", with: "")
                        if folders.count == 1 { name = name.replacingOccurrences(of: folders[0] + "/", with: "") }
                        name += result.part.map { "#\($0)" } ?? ""
                        let report = result.report
                        let actual = ReplayGoldenTests.Golden(
                            outcome: report.outcome.rawValue,
                            reason: report.reason.map { String($0.prefix { $0 != ":" }) },
                            retryable: report.retryable, subject: report.subject, messages: report.messages?.count)
                        let expected = try #require(golden[name], "\(name) is not in \(goldenName)")
                        if actual == expected {
                            same += 1
                            if actual.outcome == "sent" && !name.contains("bigcommerce") { sentOverShopify += 1 }
                        } else {
                            #expect(
                                name.contains("bigcommerce") && actual.outcome == "failed"
                                    && actual.reason == "no_platform",
                                "\(name): \(actual) instead of \(expected)")
                        }
                    }
                    #expect(same > results.count / 2)
                    #expect(sentOverShopify >= 5, "\(goldenName): \(sentOverShopify) Shopify events sent")
                }
            }
            let received = try await fake.received()
            #expect(
                Set(received.compactMap(\.operationName)).isSuperset(of: [
                    "TidingsCustomer", "TidingsCustomerOrders", "TidingsProducts",
                ]))
            try await fake.expectAllValid()
        }
    }
}

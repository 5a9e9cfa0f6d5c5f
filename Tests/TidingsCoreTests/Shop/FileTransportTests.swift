import Foundation
import Testing

@testable import TidingsCore

@Suite struct FileTransportTests {
    @Test func mapsURLsToFiles() {
        #expect(
            FileTransport.relativePath(for: "https://api.bigcommerce.com/v3/customers?id:in=11")
                == "v3/customers__id_in=11.json")
        #expect(
            FileTransport.relativePath(
                for: "https://x.myshopify.com/admin/api/2026-07/customers/1/orders.json?status=any&limit=250")
                == "admin/api/2026-07/customers/1/orders__limit=250&status=any.json")
        #expect(FileTransport.relativePath(for: "https://h/a/b.json") == "a/b.json")
        #expect(FileTransport.relativePath(for: "https://h/a?q=x%20y%2Fz") == "a__q=x_y_z.json")
        #expect(FileTransport.relativePath(for: "https://h/a/../b") == nil)
    }

    @Test func answersFromFilesOnceAndRefusesTheRest() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ft-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/v3", withIntermediateDirectories: true)
        try Data(#"{"data": []}"#.utf8).write(to: URL(fileURLWithPath: root + "/v3/things__page=2.json"))
        try Data(#"{"headers": {"Link": "<next>; rel=\"next\""}}"#.utf8)
            .write(to: URL(fileURLWithPath: root + "/v3/things__page=2.json.head.json"))
        let transport = FileTransport(root: root, notFoundBody: FileTransport.bigCommerceNotFound)

        let found = try await transport.send(TransportRequest(method: "GET", url: "https://h/v3/things?page=2"))
        #expect(found.status == 200 && found.body == Array(#"{"data": []}"#.utf8))
        #expect(found.headers["link"] == "<next>; rel=\"next\"")
        // Cached: served after the file is gone.
        try FileManager.default.removeItem(atPath: root + "/v3/things__page=2.json")
        #expect(
            try await transport.send(TransportRequest(method: "GET", url: "https://h/v3/things?page=2")).status
                == 200)

        let missing = try await transport.send(TransportRequest(method: "GET", url: "https://h/v3/nothing"))
        #expect(missing.status == 404 && missing.body == Array(FileTransport.bigCommerceNotFound.utf8))
        let post = try await transport.send(TransportRequest(method: "POST", url: "https://h/v3/things?page=2"))
        #expect(post.status == 405)
    }

    @Test("A GraphQL POST maps to <operation>__<variables>.json; long or structured values are hashed")
    func mapsGraphQLRequestsToFiles() {
        let endpoint = "https://x.myshopify.com/admin/api/2026-04/graphql.json"
        #expect(
            FileTransport.graphQLPath(
                endpoint: endpoint, operationName: "TidingsCustomerOrders",
                variables: ["id": "gid://shopify/Customer/61", "first": 25, "after": "abc"])
                == "admin/api/2026-04/graphql/TidingsCustomerOrders__after=abc&first=25&id=gid___shopify_Customer_61.json"
        )
        #expect(
            FileTransport.graphQLPath(endpoint: endpoint, operationName: "TidingsAccessScopes", variables: [:])
                == "admin/api/2026-04/graphql/TidingsAccessScopes.json")
        let long = String(repeating: "{ customers { id } }", count: 5)
        let hashed = FileTransport.graphQLPath(
            endpoint: endpoint, operationName: "Q", variables: ["query": .string(long)])
        #expect(hashed?.hasPrefix("admin/api/2026-04/graphql/Q__query=sha256-") == true)
        #expect(hashed?.count == "admin/api/2026-04/graphql/Q__query=sha256-".count + 16 + 5)
        #expect(
            hashed
                != FileTransport.graphQLPath(
                    endpoint: endpoint, operationName: "Q", variables: ["query": .string(long + " ")]))
        #expect(FileTransport.graphQLPath(endpoint: endpoint, operationName: "../x", variables: [:]) == nil)
        #expect(FileTransport.graphQLPath(endpoint: endpoint, operationName: "", variables: [:]) == nil)
    }

    @Test("A GraphQL POST is answered by its variables' file, else the operation's; another document is refused")
    func answersGraphQLFromFiles() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ft-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let folder = root + "/admin/api/2026-04/graphql"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let document = "query Q($id: ID!) { customer(id: $id) { id } }"
        try Data(document.utf8).write(to: URL(fileURLWithPath: folder + "/Q.graphql"))
        try Data(#"{"data":{"customer":{"id":"1"}}}"#.utf8).write(to: URL(fileURLWithPath: folder + "/Q__id=1.json"))
        try Data(#"{"data":{"customer":null}}"#.utf8).write(to: URL(fileURLWithPath: folder + "/Q.json"))
        let transport = FileTransport(root: root)
        func ask(_ query: String, _ id: String, name: String = "Q") async throws -> String {
            let body = try ShopifyGraphQLClient.requestBody(.init(name: name, document: query), ["id": .string(id)])
            let response = try await transport.send(
                TransportRequest(method: "POST", url: "https://h/admin/api/2026-04/graphql.json", body: body))
            #expect(response.status == 200)
            return String(decoding: response.body, as: UTF8.self)
        }
        #expect(try await ask(document, "1") == #"{"data":{"customer":{"id":"1"}}}"#)
        #expect(try await ask(document, "2") == #"{"data":{"customer":null}}"#)
        let changed = try await ask(document + " ", "1")
        #expect(changed.contains("NOT_RECORDED") && changed.contains("regenerate"))
        #expect(try await ask(document, "1", name: "Other").contains("has no operation Other"))
        let malformed = try await transport.send(
            TransportRequest(method: "POST", url: "https://h/admin/api/2026-04/graphql.json", body: Array("{}".utf8)))
        #expect(malformed.status == 400)
    }

    @Test func parsesPlatformTimes() {
        #expect(Timestamp.parse("2026-11-20T10:12:00-05:00") == Date(timeIntervalSince1970: 1_795_187_520))
        #expect(Timestamp.parse("2026-11-20T15:12:00Z") == Date(timeIntervalSince1970: 1_795_187_520))
        #expect(
            Timestamp.parseRFC2822("Fri, 20 Nov 2026 15:12:00 +0000") == Date(timeIntervalSince1970: 1_795_187_520)
        )
        #expect(Timestamp.parse("2026-11-20") == nil)
    }
}

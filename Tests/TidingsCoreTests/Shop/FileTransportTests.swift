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

    @Test func parsesPlatformTimes() {
        #expect(Timestamp.parse("2026-11-20T10:12:00-05:00") == Date(timeIntervalSince1970: 1_795_187_520))
        #expect(Timestamp.parse("2026-11-20T15:12:00Z") == Date(timeIntervalSince1970: 1_795_187_520))
        #expect(
            Timestamp.parseRFC2822("Fri, 20 Nov 2026 15:12:00 +0000") == Date(timeIntervalSince1970: 1_795_187_520)
        )
        #expect(Timestamp.parse("2026-11-20") == nil)
    }
}

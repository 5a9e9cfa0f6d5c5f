import Foundation
import Testing
import TidingsCore
import TidingsServe

@Suite struct ServeServerTests {
    @Test func everyAnswerCarriesTheSharedSecurityHeaders() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let configuration = try Configuration.load(environment: ["TIDINGS_DATA_DIR": data.path])
        let server = try await RunningServer(.forTest(configuration, parts: []))
        let response = try await server.send("GET", "/no-such-page")
        await server.stop()
        #expect(response.status == 404)
        #expect(response.headers["x-content-type-options"] == "nosniff")
        #expect(response.headers["x-frame-options"] == "DENY")
        #expect(response.headers["referrer-policy"] == "no-referrer")
    }
}

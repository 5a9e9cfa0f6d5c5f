import Crypto
import Foundation

@testable import TidingsCore

/// Inputs and small parsers shared by the rendering and delivery tests.
enum RenderFixtures {
    static var key: SymmetricKey { SymmetricKey(data: Data("test-unsubscribe-key-0123456789abcdef".utf8)) }

    static let products: [String: Product] = [
        "p-100": Product(
            id: "p-100", title: "Alder Trail Runner", category: "shoes", price: Money(129, "USD"),
            inventory: 4,
            url: "https://northwind.example/products/alder-trail-runner", isActive: true),
        "p-200": Product(
            id: "p-200", title: "Merino Hiking Socks (3 pairs)", category: "socks",
            price: Money(Decimal(string: "24.5")!, "USD"), inventory: 40,
            url: "https://northwind.example/products/merino-socks?variant=3&ref=email", isActive: true),
    ]

    static let draft = Draft(
        subjects: ["Your trail runners are still waiting", "Still thinking it over?"],
        preheader: "We kept your cart just as you left it.",
        blocks: [
            DraftBlock(kind: .greeting, text: "Hi Jürgen,"),
            DraftBlock(
                kind: .paragraph, text: "You left the Alder Trail Runner in your cart.\nSizes are going fast."
            ),
            DraftBlock(kind: .product, text: "Light, grippy and ready for wet trails.", productID: "p-100"),
            DraftBlock(kind: .product, text: "", productID: "p-200"),
            DraftBlock(kind: .offer, text: "Use code TRAIL10 for 10% off until Sunday."),
            DraftBlock(kind: .signoff, text: "See you out there,\nThe Northwind team"),
        ],
        productPicks: ["p-100", "p-200"],
        offer: DraftOffer(kind: .percentOff, percent: 10, code: "TRAIL10"),
        callToAction: CallToAction(
            label: "Back to my cart", url: "https://northwind.example/cart/c-77?recover=1")
    )

    static let now = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18T11:06:40Z

    static func request(
        draft: Draft = draft, subject: String = "Your trail runners are still waiting",
        products: [String: Product] = products,
        recipient: Mailbox = Mailbox(name: "Jürgen Weiß", address: "juergen@example.com"),
        eventID: String = "evt-1001"
    ) -> RenderRequest {
        RenderRequest(
            draft: draft, subject: subject, brand: .northwind, recipient: recipient,
            customerID: "gid://shopify/Customer/42",
            products: products, eventID: eventID, flow: .cartAbandoned, prompt: "cart-abandoned@3", now: now,
            sendAt: now.addingTimeInterval(3600))
    }

    static func render(_ request: RenderRequest = request()) throws -> RenderedEmail {
        try EmailRenderer(unsubscribeKey: key).render(request)
    }

    /// Runs `body` with a fresh temporary folder and removes it afterwards, whatever happens.
    static func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tidings-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: url) }
        return try await body(url)
    }
}

extension RenderFixtures {
    /// The synchronous twin of `withTemporaryDirectory`.
    static func withTemporaryDirectorySync<T>(_ body: (URL) throws -> T) throws -> T {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tidings-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: url) }
        return try body(url)
    }

    /// The first `name` executable on PATH, if any.
    static func executable(named name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }
}

/// A deliberately small and strict reader of the messages `MIMEMessage` writes, independent of it.
struct ParsedMessage {
    /// Header lines after unfolding, in order, as (name, raw value without the leading space).
    var headers: [(name: String, value: String)]
    /// The raw header block, folded as it was written.
    var rawHeaderLines: [String]
    var parts: [(headers: [String: String], body: String)]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    func headers(named name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    enum Failure: Error { case malformed(String) }

    init(_ data: Data) throws {
        guard let text = String(data: data, encoding: .utf8) else { throw Failure.malformed("not UTF-8") }
        guard let split = text.range(of: "\r\n\r\n") else { throw Failure.malformed("no blank line") }
        rawHeaderLines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        headers = []
        for line in rawHeaderLines {
            if line.hasPrefix(" ") || line.hasPrefix("\t") {
                guard !headers.isEmpty else { throw Failure.malformed("continuation first") }
                headers[headers.count - 1].value += line
            } else {
                guard let colon = line.firstIndex(of: ":") else {
                    throw Failure.malformed("no colon: \(line)")
                }
                let value = line[line.index(after: colon)...]
                headers.append(
                    (String(line[..<colon]), String(value.hasPrefix(" ") ? value.dropFirst() : value)))
            }
        }
        let body = String(text[split.upperBound...])
        let contentType = headers.first { $0.name == "Content-Type" }?.value ?? ""
        guard let boundaryStart = contentType.range(of: "boundary=\"") else {
            throw Failure.malformed("no boundary")
        }
        let boundary = contentType[boundaryStart.upperBound...].prefix { $0 != "\"" }
        let delimiter = "\r\n--\(boundary)"
        var chunks = ("\r\n" + body).components(separatedBy: delimiter)
        guard chunks.count >= 3, chunks.last == "--\r\n" else { throw Failure.malformed("bad multipart end") }
        chunks.removeFirst()  // preamble
        chunks.removeLast()  // "--" CRLF
        parts = []
        for chunk in chunks {
            guard chunk.hasPrefix("\r\n"), let end = chunk.range(of: "\r\n\r\n") else {
                throw Failure.malformed("bad part")
            }
            var partHeaders: [String: String] = [:]
            // "\r\n" is a single Character, so one step skips the line break after the delimiter.
            let headerBlock = chunk[chunk.index(after: chunk.startIndex)..<end.lowerBound]
            for line in headerBlock.components(separatedBy: "\r\n") {
                let pieces = line.split(separator: ":", maxSplits: 1)
                partHeaders[String(pieces[0])] = pieces[1].trimmingCharacters(in: .whitespaces)
            }
            parts.append((partHeaders, String(chunk[end.upperBound...])))
        }
    }
}

/// Decodes quoted-printable (RFC 2045 section 6.7) written with CRLF, giving "\n" for hard breaks.
/// Strict: any "=" not followed by two uppercase hex digits or CRLF fails.
func decodeQuotedPrintable(_ encoded: String) throws -> String {
    enum Failure: Error { case badEscape(Int), lineTooLong(Int), nonASCII }
    var bytes: [UInt8] = []
    let lines = encoded.components(separatedBy: "\r\n")
    for (number, line) in lines.enumerated() {
        if line.utf8.count > 76 { throw Failure.lineTooLong(number) }
        let raw = Array(line.utf8)
        guard raw.allSatisfy({ $0 < 128 }) else { throw Failure.nonASCII }
        var index = 0
        var soft = false
        while index < raw.count {
            if raw[index] == UInt8(ascii: "=") {
                if index == raw.count - 1 {
                    soft = true
                    break
                }
                let hex = "0123456789ABCDEF".utf8
                guard index + 2 < raw.count, let high = hex.firstIndex(of: raw[index + 1]),
                    let low = hex.firstIndex(of: raw[index + 2])
                else { throw Failure.badEscape(number) }
                bytes.append(
                    UInt8(
                        hex.distance(from: hex.startIndex, to: high) * 16
                            + hex.distance(from: hex.startIndex, to: low)))
                index += 3
            } else {
                bytes.append(raw[index])
                index += 1
            }
        }
        if !soft && number < lines.count - 1 { bytes.append(UInt8(ascii: "\n")) }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Decodes a header value made of RFC 2047 B encoded-words (as `MIMEMessage` writes them) and plain
/// text; whitespace between two adjacent encoded-words is dropped, as RFC 2047 section 6.2 says.
func decodeEncodedWords(_ value: String) -> String {
    var result = ""
    var lastWasEncoded = false
    var pendingSpace = ""
    for word in value.split(separator: " ", omittingEmptySubsequences: false) {
        if word.hasPrefix("=?utf-8?B?") && word.hasSuffix("?=") {
            let payload = word.dropFirst(10).dropLast(2)
            let decoded =
                Data(base64Encoded: String(payload)).map { String(decoding: $0, as: UTF8.self) } ?? "<bad>"
            result += (lastWasEncoded ? "" : pendingSpace) + decoded
            lastWasEncoded = true
        } else {
            result += pendingSpace + word
            lastWasEncoded = false
        }
        pendingSpace = " "
    }
    return result
}

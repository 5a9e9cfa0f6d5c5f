import Foundation

extension MIMEMessage {
    /// What `read` takes back out of a message `serialize` wrote.
    package struct Parts: Sendable, Hashable {
        /// The Subject header, encoded-words decoded.
        package var subject: String
        /// The text/plain part, quoted-printable decoded, line breaks as "\n".
        package var text: String
        /// The text/html part, decoded the same way.
        package var html: String
        /// The https entry of List-Unsubscribe; nil without one.
        package var unsubscribeURL: String?
    }

    /// Reads back the subject and the two bodies of a message in the shape `render` writes
    /// (multipart/alternative, UTF-8 quoted-printable parts, CRLF). Nil when the message is not
    /// in that shape: this is the inverse of our own writer, not a general MIME parser.
    package static func read(_ message: Data) -> Parts? {
        let text = String(decoding: message, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        var headers: [String: String] = [:]
        var last: String?
        for line in text[..<split.lowerBound].components(separatedBy: "\r\n") {
            if line.hasPrefix(" ") || line.hasPrefix("\t") {
                if let last { headers[last, default: ""] += " " + line.trimmingCharacters(in: .whitespaces) }
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            last = name
        }
        guard let type = headers["content-type"], let start = type.range(of: "boundary=\"") else { return nil }
        let boundary = type[start.upperBound...].prefix { $0 != "\"" }
        var bodies: [String: String] = [:]
        for part in text[split.upperBound...].components(separatedBy: "\r\n--\(boundary)").dropFirst() {
            guard let end = part.range(of: "\r\n\r\n") else { continue }
            let partHeaders = part[..<end.lowerBound].lowercased()
            let kind = partHeaders.contains("text/html") ? "html" : partHeaders.contains("text/plain") ? "text" : nil
            if let kind { bodies[kind] = decodeQuotedPrintable(String(part[end.upperBound...])) }
        }
        guard let html = bodies["html"], let plain = bodies["text"] else { return nil }
        let unsubscribe = headers["list-unsubscribe"]?.split(separator: ",").lazy
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " <>")) }
            .first { $0.hasPrefix("https://") }
        return Parts(
            subject: decodeEncodedWords(headers["subject"] ?? ""), text: plain, html: html, unsubscribeURL: unsubscribe)
    }

    /// The inverse of `quotedPrintable`: soft breaks removed, "=XX" made bytes, CRLF made "\n".
    package static func decodeQuotedPrintable(_ text: String) -> String {
        let input = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var index = 0
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        while index < input.count {
            let byte = input[index]
            if byte == UInt8(ascii: "="), index + 2 < input.count {
                if input[index + 1] == 13, input[index + 2] == 10 {
                    index += 3
                    continue
                }
                if let high = hex(input[index + 1]), let low = hex(input[index + 2]) {
                    output.append(high << 4 | low)
                    index += 3
                    continue
                }
            }
            if byte == 13, index + 1 < input.count, input[index + 1] == 10 {
                output.append(10)
                index += 2
                continue
            }
            output.append(byte)
            index += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// A header value with its RFC 2047 "=?utf-8?B?...?=" words decoded; the space between two
    /// encoded-words is dropped, as the RFC says.
    package static func decodeEncodedWords(_ value: String) -> String {
        var result = ""
        var previousWasEncoded = false
        for word in value.split(separator: " ", omittingEmptySubsequences: false) {
            let lower = word.lowercased()
            if lower.hasPrefix("=?utf-8?b?"), word.hasSuffix("?="),
                let data = Data(base64Encoded: String(word.dropFirst(10).dropLast(2)))
            {
                if !result.isEmpty && !previousWasEncoded { result += " " }
                result += String(decoding: data, as: UTF8.self)
                previousWasEncoded = true
            } else {
                if !result.isEmpty || previousWasEncoded { result += " " }
                result += word
                previousWasEncoded = false
            }
        }
        return result
    }
}

import Crypto
import Foundation

/// RFC 5322 / MIME serialization of a `RenderedEmail`: the bytes of an .eml file that Thunderbird,
/// Apple Mail or an SMTP relay accepts as they are.
///
/// The message is multipart/alternative with the text part first and the HTML part second, both
/// UTF-8 in quoted-printable, so every line is 7-bit and at most 76 characters. Lines end in CRLF.
/// Header values are stripped of CR and LF (no header injection), non-ASCII values become RFC 2047
/// encoded-words, and headers are folded to 78 characters where the value allows it.
package enum MIMEMessage {
    /// The complete message as bytes.
    package static func serialize(_ email: RenderedEmail) -> Data {
        email.rawMessage ?? Data(render(email).utf8)
    }

    /// The complete message as text (ASCII unless an address itself is non-ASCII).
    package static func render(_ email: RenderedEmail) -> String {
        let text = quotedPrintable(email.text)
        let html = quotedPrintable(email.html)
        let boundary = self.boundary(text: email.text, html: email.html)

        var headers: [String] = [
            "Date: " + Timestamp.rfc5322(email.date),
            fold(name: "From", words: mailboxWords(email.from, headerName: "From")),
            fold(name: "To", words: mailboxWords(email.to, headerName: "To")),
            unstructured(name: "Subject", value: email.subject),
            "Message-ID: <\(token(email.messageID))>",
            "MIME-Version: 1.0",
            // One entry per line keeps a long https URL from pushing the mailto past the fold.
            fold(
                name: "List-Unsubscribe",
                words: ["<\(token(email.unsubscribeURL))>,", "<\(token(email.unsubscribeMailto))>"]),
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        ]
        for header in email.extraHeaders {
            headers.append(unstructured(name: headerName(header.name), value: header.value))
        }
        headers.append("Content-Type: multipart/alternative;\r\n boundary=\"\(boundary)\"")

        var message = headers.joined(separator: "\r\n")
        message += "\r\n\r\nThis is a multi-part message in MIME format.\r\n"
        message += "\r\n--\(boundary)\r\n"
        message +=
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        message += text
        message += "\r\n--\(boundary)\r\n"
        message +=
            "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        message += html
        message += "\r\n--\(boundary)--\r\n"
        return message
    }

    /// A boundary that cannot occur in either body: it contains "=_", and quoted-printable output
    /// never does ("=" only starts "=XX" escapes with hex digits, or a soft line break). Derived from
    /// the content so the same email always serializes to the same bytes.
    static func boundary(text: String, html: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Data(text.utf8))
        hasher.update(data: Data([0]))
        hasher.update(data: Data(html.utf8))
        return "=_tidings_\(Hex.encode(hasher.finalize().prefix(12)))"
    }

    // MARK: - Quoted-printable (RFC 2045 section 6.7)

    /// Encodes text as quoted-printable with CRLF line breaks. Each "\n" of the input becomes a hard
    /// line break; a bare "\r" is kept as "=0D" so decoding gives back exactly the input with "\n"
    /// written as CRLF. Lines are at most 76 characters, soft breaks ("=" CRLF) included; spaces and
    /// tabs before a line end are escaped, and so is a leading "." or "From " (for careless relays).
    package static func quotedPrintable(_ text: String) -> String {
        // Bytes in, bytes out: appending scalar by scalar to a String was a tenth of the pipeline.
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        var lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)[...]
        while let line = lines.popFirst() {
            encodeLine(Array(line), into: &output)
            if !lines.isEmpty { output += [UInt8(ascii: "\r"), UInt8(ascii: "\n")] }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func encodeLine(_ bytes: [UInt8], into output: inout [UInt8]) {
        var width = 0  // characters on the current output line
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            var escape: Bool
            switch byte {
            // Blanks at a line's end get stripped in transit, so those are escaped.
            case UInt8(ascii: " "), UInt8(ascii: "\t"): escape = isLast
            case UInt8(ascii: "="): escape = true
            case 33...126: escape = false
            default: escape = true
            }
            // A soft break costs one "=", so a line that goes on holds 75 characters; the last
            // piece of a line may use all 76.
            if width + (escape ? 3 : 1) > (isLast ? 76 : 75) {
                output += [UInt8(ascii: "="), UInt8(ascii: "\r"), UInt8(ascii: "\n")]
                width = 0
            }
            if width == 0 && !escape {
                escape = byte == UInt8(ascii: ".") || bytes[index...].starts(with: fromSpace)
            }
            if escape {
                output.append(UInt8(ascii: "="))
                Hex.append(byte, uppercase: true, to: &output)
                width += 3
            } else {
                output.append(byte)
                width += 1
            }
        }
    }

    private static let fromSpace = Array("From ".utf8)

    // MARK: - Headers

    /// The longest line we aim for (RFC 5322 section 2.1.1 "SHOULD"); 998 is the hard limit.
    static let lineLimit = 78

    /// Removes what could end a header line or smuggle in a new one: CR, LF and other controls
    /// become spaces, so "Hi\r\nBcc: x" stays one harmless line of text.
    static func sanitized(_ value: String) -> String {
        var result = ""
        result.unicodeScalars.reserveCapacity(value.unicodeScalars.count)
        for scalar in value.unicodeScalars {
            let isControl =
                scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value)
            result.unicodeScalars.append(isControl ? " " : scalar)
        }
        return result
    }

    /// A structured token (address, URL, id) in a header: sanitized, and with no spaces or angle
    /// brackets that would change where it ends.
    static func token(_ value: String) -> String {
        var result = ""
        result.unicodeScalars.append(
            contentsOf: sanitized(value).unicodeScalars.filter { $0 != " " && $0 != "<" && $0 != ">" })
        return result
    }

    /// A header name keeps only the characters RFC 5322 allows (printable ASCII except ":").
    static func headerName(_ name: String) -> String {
        var kept = ""
        kept.unicodeScalars.append(
            contentsOf: name.unicodeScalars.filter { $0.value > 32 && $0.value < 127 && $0 != ":" })
        return kept.isEmpty ? "X-Invalid" : kept
    }

    /// An unstructured header (Subject, X-...). Printable ASCII is folded at its spaces; a value
    /// with non-ASCII characters, text that looks like an encoded-word, or a word too long to fold
    /// is written as UTF-8 B encoded-words instead, which can be split anywhere between characters.
    static func unstructured(name: String, value: String) -> String {
        let clean = sanitized(value)
        let words = clean.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        let plain =
            clean.unicodeScalars.allSatisfy { $0.isASCII } && !clean.contains("=?")
            && words.allSatisfy { $0.utf8.count + name.utf8.count + 2 <= lineLimit }
        if plain {
            return fold(name: name, words: words)
        }
        return fold(name: name, words: encodedWords(clean, firstLineUsed: name.utf8.count + 2))
    }

    /// The words of a mailbox: the display name (quoted or encoded as needed) and "<address>".
    static func mailboxWords(_ mailbox: Mailbox, headerName: String) -> [String] {
        let address = "<\(token(mailbox.address))>"
        guard let rawName = mailbox.name.map(sanitized), !rawName.allSatisfy({ $0 == " " }) else {
            return [address]
        }
        // A quoted-string cannot be folded, so a long name goes as encoded-words, which can.
        if rawName.unicodeScalars.allSatisfy({ $0.isASCII }) && !rawName.contains("=?") {
            let phrase = quotedPhrase(rawName)
            if phrase.utf8.count + headerName.utf8.count + 2 <= lineLimit { return [phrase, address] }
        }
        return encodedWords(rawName, firstLineUsed: headerName.utf8.count + 2) + [address]
    }

    /// A display name as an atom sequence when it only has atext and spaces, or else a quoted-string
    /// with `"` and `\` escaped ("Smith, Anna" must be quoted or the comma splits the address list).
    static func quotedPhrase(_ name: String) -> String {
        let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~ ")
        let words = name.split(separator: " ")
        if name.allSatisfy({ atext.contains($0) }) && words.joined(separator: " ") == name {
            return name
        }
        var quoted = "\""
        for character in name {
            if character == "\"" || character == "\\" { quoted.append("\\") }
            quoted.append(character)
        }
        return quoted + "\""
    }

    /// Splits text into RFC 2047 "=?utf-8?B?...?=" words, each whole characters and each short
    /// enough for its line: the first shares a line with `firstLineUsed` characters, the rest start
    /// on a continuation line after one space. Encoded-words are at most 75 characters (RFC 2047).
    static func encodedWords(_ text: String, firstLineUsed: Int) -> [String] {
        let overhead = "=?utf-8?B??=".utf8.count
        func encodedLength(_ bytes: Int) -> Int { overhead + (bytes + 2) / 3 * 4 }

        var words: [String] = []
        var chunk: [UInt8] = []
        var available = min(75, lineLimit - firstLineUsed)
        for character in text {
            let bytes = Array(String(character).utf8)
            if !chunk.isEmpty && encodedLength(chunk.count + bytes.count) > available {
                words.append("=?utf-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
                available = min(75, lineLimit - 1)
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty {
            words.append("=?utf-8?B?\(Data(chunk).base64EncodedString())?=")
        }
        return words
    }

    /// Joins `name: ` and the words with single spaces, breaking the line (CRLF + the space) before a
    /// word that would pass 78 characters. Unfolding (removing CRLF) gives back the words joined by
    /// single spaces exactly.
    static func fold(name: String, words: [String]) -> String {
        var result = name + ":"
        var width = result.utf8.count
        for word in words {
            let length = word.utf8.count
            if width + 1 + length > lineLimit && width > name.utf8.count + 1 {
                result += "\r\n " + word
                width = 1 + length
            } else {
                result += " " + word
                width += 1 + length
            }
        }
        return result
    }
}

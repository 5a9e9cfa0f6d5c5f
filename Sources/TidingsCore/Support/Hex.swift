/// Base 16 for bytes, the one encoder behind digests in ids and file names, the audit chain's
/// hashes, MIME boundaries and quoted-printable and percent escapes.
package enum Hex {
    /// "0123456789abcdef" as ASCII bytes.
    package static let lowercaseDigits: [UInt8] = Array("0123456789abcdef".utf8)
    /// "0123456789ABCDEF" as ASCII bytes (quoted-printable and percent escapes, RFC 2045 and RFC 3986).
    package static let uppercaseDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Two hex digits per byte, lowercase unless asked: `[0x0f, 0xa0]` is "0fa0".
    package static func encode<Bytes: Sequence>(_ bytes: Bytes, uppercase: Bool = false) -> String
    where Bytes.Element == UInt8 {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes { append(byte, uppercase: uppercase, to: &text) }
        return String(decoding: text, as: UTF8.self)
    }

    /// Appends the two hex digits of one byte to `text` (ASCII), allocating nothing else.
    /// Arithmetic rather than a table lookup: no global to reach and no array to retain, since the
    /// audit log runs this 32 times a record.
    @inline(__always)
    package static func append(_ byte: UInt8, uppercase: Bool = false, to text: inout [UInt8]) {
        text.append(digit(byte >> 4, uppercase: uppercase))
        text.append(digit(byte & 0x0f, uppercase: uppercase))
    }

    /// The ASCII digit of a value 0 to 15.
    @inline(__always)
    package static func digit(_ value: UInt8, uppercase: Bool = false) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") &+ value : (uppercase ? UInt8(ascii: "A") : UInt8(ascii: "a")) &+ (value &- 10)
    }
}

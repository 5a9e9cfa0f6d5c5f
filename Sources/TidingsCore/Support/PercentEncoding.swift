/// RFC 3986 percent-encoding, the one encoder for query values and path segments: every byte of
/// the UTF-8 form outside the unreserved set (`A-Z a-z 0-9 - . _ ~`, ASCII only) becomes `%XX`
/// in uppercase hex, so an id can neither add a segment or parameter nor climb out of a path.
package enum PercentEncoding {
    /// Whether a byte is in RFC 3986's unreserved set (section 2.3).
    package static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// `value` with everything but unreserved ASCII percent-encoded: "a b/é" is "a%20b%2F%C3%A9".
    package static func encode(_ value: String) -> String {
        var result: [UInt8] = []
        result.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            if isUnreserved(byte) {
                result.append(byte)
            } else {
                result.append(UInt8(ascii: "%"))
                Hex.append(byte, uppercase: true, to: &result)
            }
        }
        return String(decoding: result, as: UTF8.self)
    }
}

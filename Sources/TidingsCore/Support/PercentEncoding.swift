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

extension PercentEncoding {
    /// `value` with `%XX` sequences decoded (and `+` as a space when `plusIsSpace`, as HTML forms
    /// and query strings write it); nil when a `%` is not followed by two hex digits or the bytes
    /// are not UTF-8.
    package static func decode(_ value: Substring, plusIsSpace: Bool = false) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(value.utf8.count)
        var iterator = value.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue)
                else { return nil }
                bytes.append(high << 4 | low)
            case UInt8(ascii: "+") where plusIsSpace:
                bytes.append(UInt8(ascii: " "))
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The pairs of an `application/x-www-form-urlencoded` text (a query string or a form body),
    /// decoded; the first value of a repeated name wins. Nil when a part does not decode.
    package static func formFields(_ text: Substring) -> [String: String]? {
        var fields: [String: String] = [:]
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(pair[0], plusIsSpace: true),
                let value = decode(pair.count > 1 ? pair[1] : "", plusIsSpace: true)
            else { return nil }
            if fields[name] == nil { fields[name] = value }
        }
        return fields
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

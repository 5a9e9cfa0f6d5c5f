/// RFC 3492 Punycode and the per-label IDNA ToASCII step (RFC 3490 section 4.1) that puts a
/// non-ASCII domain name into the `xn--` form mail servers and DNS expect.
///
/// ToASCII here lower-cases ASCII letters and leaves other characters as they are; it does not apply
/// the full Nameprep/UTS 46 mapping tables, so a label is expected in the form a shopper's address
/// book writes it (already lower case in scripts that have case). Labels are checked for the
/// 63-octet limit after conversion.
package enum Punycode {
    private static let base = 36
    private static let tMin = 1
    private static let tMax = 26
    private static let skew = 38
    private static let damp = 700
    private static let initialBias = 72
    private static let initialN = 0x80

    /// The Punycode encoding of `input` (without the `xn--` prefix), or nil on overflow.
    package static func encode(_ input: String) -> String? {
        let scalars = input.unicodeScalars.map(\.value)
        var output: [UInt8] = scalars.filter { $0 < 0x80 }.map { UInt8($0) }
        let basicCount = output.count
        var handled = basicCount
        if basicCount > 0 { output.append(UInt8(ascii: "-")) }
        var n = initialN
        var delta = 0
        var bias = initialBias
        while handled < scalars.count {
            guard let next = scalars.filter({ $0 >= n }).min() else { return nil }
            let m = Int(next)
            let (step, overflow) = (m - n).multipliedReportingOverflow(by: handled + 1)
            guard !overflow, delta <= Int(Int32.max) - step else { return nil }
            delta += step
            n = m
            for scalar in scalars {
                let c = Int(scalar)
                if c < n {
                    delta += 1
                    guard delta <= Int(Int32.max) else { return nil }
                }
                if c == n {
                    var q = delta
                    var k = base
                    while true {
                        let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                        if q < t { break }
                        output.append(digit(t + (q - t) % (base - t)))
                        q = (q - t) / (base - t)
                        k += base
                    }
                    output.append(digit(q))
                    bias = adapt(delta: delta, count: handled + 1, first: handled == basicCount)
                    delta = 0
                    handled += 1
                }
            }
            delta += 1
            n += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes a Punycode string (without the `xn--` prefix); nil when it is not valid Punycode.
    package static func decode(_ input: String) -> String? {
        let bytes = Array(input.utf8)
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        let split = bytes.lastIndex(of: UInt8(ascii: "-")) ?? 0
        var output: [UInt32] = bytes[..<split].map(UInt32.init)
        var n = initialN
        var i = 0
        var bias = initialBias
        var index = split > 0 ? split + 1 : 0
        while index < bytes.count {
            let oldI = i
            var w = 1
            var k = base
            while true {
                guard index < bytes.count, let d = value(of: bytes[index]) else { return nil }
                index += 1
                guard d <= (Int(Int32.max) - i) / w else { return nil }
                i += d * w
                let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                if d < t { break }
                guard w <= Int(Int32.max) / (base - t) else { return nil }
                w *= base - t
                k += base
            }
            bias = adapt(delta: i - oldI, count: output.count + 1, first: oldI == 0)
            guard i / (output.count + 1) <= Int(Int32.max) - n else { return nil }
            n += i / (output.count + 1)
            i %= output.count + 1
            guard n >= 0x80, Unicode.Scalar(UInt32(n)) != nil else { return nil }
            output.insert(UInt32(n), at: i)
            i += 1
        }
        var result = ""
        for value in output {
            guard let scalar = Unicode.Scalar(value) else { return nil }
            result.unicodeScalars.append(scalar)
        }
        return result
    }

    /// IDNA ToASCII of a whole domain: each label that holds non-ASCII characters becomes
    /// `xn--` + Punycode; ASCII letters are lower-cased. Nil when a label is empty, longer than 63
    /// octets after conversion, or cannot be encoded. The ideographic and fullwidth full stops
    /// (U+3002, U+FF0E, U+FF61) separate labels as "." does (RFC 3490 section 3.1).
    package static func domainToASCII(_ domain: String) -> String? {
        let dots: Set<Unicode.Scalar> = [".", "\u{3002}", "\u{FF0E}", "\u{FF61}"]
        var labels: [String] = [""]
        for scalar in domain.unicodeScalars {
            if dots.contains(scalar) {
                labels.append("")
            } else {
                labels[labels.count - 1].unicodeScalars.append(scalar)
            }
        }
        var converted: [String] = []
        for label in labels {
            guard let ascii = labelToASCII(label) else { return nil }
            converted.append(ascii)
        }
        return converted.joined(separator: ".")
    }

    /// IDNA ToASCII of one label; nil for an empty label or one over 63 octets.
    package static func labelToASCII(_ label: String) -> String? {
        guard !label.isEmpty else { return nil }
        let ascii: String
        if label.unicodeScalars.allSatisfy(\.isASCII) {
            ascii = label.lowercased()
        } else {
            // A label that already claims to be Punycode cannot also hold non-ASCII (RFC 3490 4.1 step 5).
            guard !label.lowercased().hasPrefix("xn--"), let encoded = encode(label.lowercased()) else { return nil }
            ascii = "xn--" + encoded
        }
        return ascii.utf8.count <= 63 ? ascii : nil
    }

    private static func digit(_ value: Int) -> UInt8 {
        value < 26 ? UInt8(ascii: "a") + UInt8(value) : UInt8(ascii: "0") + UInt8(value - 26)
    }

    private static func value(of byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0")) + 26
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return Int(byte - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return Int(byte - UInt8(ascii: "a"))
        default: return nil
        }
    }

    private static func adapt(delta: Int, count: Int, first: Bool) -> Int {
        var delta = first ? delta / damp : delta / 2
        delta += delta / count
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }
}

/// An email address as Tidings sends to it: a dot-atom local part of ASCII characters, `@`, and a
/// domain in its ASCII (IDNA, `xn--`) form. The one address check: event decoders, configuration
/// and the renderer all use it, so an address that decodes is an address that renders.
///
/// Limits are RFC 5321's (section 4.5.3.1): local part 64 octets, domain 255, and the whole
/// address 254 (the 256-octet path minus its angle brackets). A non-ASCII local part would need
/// the SMTPUTF8 extension (RFC 6531); Tidings refuses it (docs/decisions/email-addresses.md).
package struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    /// The local part, as given (case is significant to the receiving server).
    package let localPart: String
    /// The domain in ASCII: lower case, non-ASCII labels as `xn--` Punycode.
    package let domain: String

    /// Why a text is not an address Tidings can send to.
    package enum Problem: String, Error, Sendable, Hashable, CustomStringConvertible {
        /// Not one `local@domain` with no spaces, controls, quotes or brackets.
        case shape = "not a plain local@domain address"
        /// The local part is not a dot-atom (leading, trailing or doubled dot, or a character outside atext).
        case localPart = "the local part is not a dot-atom of letters, digits and !#$%&'*+-/=?^_`{|}~"
        /// The local part is over 64 octets (RFC 5321 4.5.3.1.1).
        case localPartTooLong = "the local part is over 64 octets (RFC 5321)"
        /// The local part has non-ASCII characters, which need SMTPUTF8 (RFC 6531).
        case needsSMTPUTF8 =
            "the local part is not ASCII; delivering to it needs SMTPUTF8 (RFC 6531), which Tidings does not use"
        /// A domain label is empty, over 63 octets, or not letters, digits and inner hyphens.
        case domain = "the domain is not a host name of two or more labels of letters, digits and hyphens"
        /// The domain is over 255 octets in ASCII form (RFC 5321 4.5.3.1.2).
        case domainTooLong = "the domain is over 255 octets (RFC 5321)"
        /// The whole address is over 254 octets, so its path would pass 256 (RFC 5321 4.5.3.1.3).
        case tooLong = "the address is over 254 octets (RFC 5321)"

        /// The reason in words; never contains the address itself.
        package var description: String { rawValue }
    }

    /// Parses and normalizes `text`; throws the first `Problem` found. The address itself is not
    /// part of the error, so callers can log it.
    package init(_ text: String) throws(Problem) {
        guard let at = text.lastIndex(of: "@") else { throw .shape }
        let local = String(text[..<at])
        let rawDomain = String(text[text.index(after: at)...])
        guard !local.isEmpty, !rawDomain.isEmpty,
            !text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F })
        else { throw .shape }
        guard local.unicodeScalars.allSatisfy(\.isASCII) else {
            // A local part with "@", quotes or brackets is a shape problem whatever its script.
            if local.contains(where: { "@\"<>,;:()[]\\".contains($0) }) { throw .shape }
            throw .needsSMTPUTF8
        }
        guard local.utf8.allSatisfy({ Self.atext[Int($0)] || $0 == UInt8(ascii: ".") }) else {
            throw local.contains(where: { "@\"<>,;:()[]\\".contains($0) }) ? .shape : .localPart
        }
        guard !local.hasPrefix("."), !local.hasSuffix("."), !local.contains("..") else { throw .localPart }
        guard local.utf8.count <= 64 else { throw .localPartTooLong }
        guard let domain = Punycode.domainToASCII(rawDomain) else {
            throw rawDomain.contains(where: { "<>,;:()[]\\\"".contains($0) }) ? .shape : .domain
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        let validLabels = labels.allSatisfy { label in
            !label.isEmpty && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy {
                    ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z"))
                        || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
                        || $0 == UInt8(ascii: "-")
                }
        }
        guard labels.count >= 2, validLabels else {
            throw rawDomain.contains(where: { "<>,;:()[]\\\"".contains($0) }) ? .shape : .domain
        }
        guard domain.utf8.count <= 255 else { throw .domainTooLong }
        guard local.utf8.count + 1 + domain.utf8.count <= 254 else { throw .tooLong }
        self.localPart = local
        self.domain = domain
    }

    /// `local@domain` in ASCII: what goes into a header or an SMTP envelope.
    package var ascii: String { localPart + "@" + domain }

    /// The ASCII form.
    package var description: String { ascii }

    /// RFC 5322 atext, by byte: letters, digits and !#$%&'*+-/=?^_`{|}~.
    private static let atext: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for byte in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~".utf8 {
            table[Int(byte)] = true
        }
        return table
    }()
}

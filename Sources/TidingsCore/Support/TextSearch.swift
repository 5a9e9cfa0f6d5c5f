/// Substring search on UTF-8 bytes. Validation asks "does this text contain that phrase?"
/// hundreds of times per draft; Foundation's `contains` goes through NSString and dominated the
/// pipeline's profile, so the checks compare bytes instead.
package struct TextSearch: Sendable {
    /// The text, lower-cased, as UTF-8.
    package let folded: [UInt8]

    /// Prepares `text` for case-insensitive searches.
    package init(_ text: String) {
        folded = Array(text.lowercased().utf8)
    }

    /// Whether the text contains `needle`, which must already be lower-cased UTF-8.
    package func contains(folded needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard needle.count <= folded.count else { return false }
        return folded.withUnsafeBufferPointer { haystack in
            needle.withUnsafeBufferPointer { pattern in Self.find(pattern, in: haystack) }
        }
    }

    /// Whether `needle` (lower-cased UTF-8) occurs as a whole word: not inside a longer word, so a
    /// last name "King" does not match "Hiking".
    package func containsWord(folded needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= folded.count else { return false }
        func isWordByte(_ byte: UInt8) -> Bool {
            byte >= 0x80 || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
        }
        var start = 0
        while start + needle.count <= folded.count {
            if folded[start] == needle[0], folded[start..<start + needle.count].elementsEqual(needle) {
                let before = start == 0 || !isWordByte(folded[start - 1])
                let after = start + needle.count == folded.count || !isWordByte(folded[start + needle.count])
                if before && after { return true }
            }
            start += 1
        }
        return false
    }

    /// Whether the text contains `phrase`, case-insensitively.
    package func contains(_ phrase: String) -> Bool {
        contains(folded: Array(phrase.lowercased().utf8))
    }

    /// Whether plain `text` contains plain `phrase`, byte for byte.
    package static func contains(_ text: String, _ phrase: String) -> Bool {
        var text = text
        var phrase = phrase
        return text.withUTF8 { haystack in
            phrase.withUTF8 { pattern in pattern.isEmpty || find(pattern, in: haystack) }
        }
    }

    /// Naive search: texts are a few hundred bytes and phrases a few dozen, where it beats
    /// anything cleverer.
    static func find(_ pattern: UnsafeBufferPointer<UInt8>, in haystack: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = pattern.first, pattern.count <= haystack.count else { return pattern.isEmpty }
        var start = 0
        let last = haystack.count - pattern.count
        while start <= last {
            if haystack[start] == first {
                var offset = 1
                while offset < pattern.count, haystack[start + offset] == pattern[offset] { offset += 1 }
                if offset == pattern.count { return true }
            }
            start += 1
        }
        return false
    }
}

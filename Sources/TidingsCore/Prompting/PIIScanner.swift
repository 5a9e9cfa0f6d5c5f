import Foundation

/// Finds personal data in free text by shape: email addresses, phone numbers and (for drafts)
/// street addresses. (The known
/// values of one customer are matched as whole words by `DraftValidator`.)
package enum PIIScanner {
    /// What `mask` puts in place of personal data. It is for prompts only: the copywriter removes
    /// it and the validator refuses a draft that still shows it to a customer.
    package static let maskToken = "[redacted]"

    /// Email-like and phone-like runs in `text`.
    package static func findings(in text: String) -> [String] {
        var found: [String] = []
        let hasAt = text.utf8.contains(UInt8(ascii: "@"))
        for word in hasAt ? text.split(whereSeparator: { $0.isWhitespace || $0 == "," || $0 == ";" }) : []
        where word.contains("@") {
            let token = word.trimmingCharacters(in: CharacterSet(charactersIn: ".()<>\"'[]:"))
            if isEmailLike(token) { found.append("email address") }
        }
        if hasPhoneLikeRun(text) { found.append("phone number") }
        if hasStreetAddress(text) { found.append("street address") }
        return found
    }

    /// Street-type words that end a street address ("12 Harbour Street", "400 N Elm Ave").
    static let streetTypes: Set<String> = [
        "street", "st", "avenue", "ave", "road", "rd", "lane", "ln", "drive", "dr", "boulevard", "blvd", "way",
        "court", "ct", "place", "pl", "terrace", "crescent", "close", "square", "highway", "hwy", "parkway",
    ]

    /// Whether `text` has a house number (1 to 5 digits, a letter may follow) then one to four
    /// capitalized words, the last a street type: the shape of a street address. Only the
    /// validator asks this (a draft must not echo where a customer lives); prompts never hold one.
    static func hasStreetAddress(_ text: String) -> Bool {
        let words = text.split(whereSeparator: { $0.isWhitespace || $0 == "," })
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ".;:()\"'")) }
        for (index, word) in words.enumerated() {
            let digits = word.prefix { $0.isASCII && $0.isNumber }
            guard (1...5).contains(digits.count), word.count - digits.count <= 1 else { continue }
            for length in 1...4 where index + length < words.count {
                let name = words[index + 1...index + length]
                guard name.allSatisfy({ $0.first?.isUppercase == true }) else { break }
                if length >= 2, let last = name.last, streetTypes.contains(last.lowercased()) { return true }
            }
        }
        return false
    }

    /// `text` with email-like tokens and phone-like runs replaced by `maskToken`.
    package static func mask(_ text: String) -> String {
        guard text.contains("@") || hasPhoneLikeRun(text) else { return text }
        var words: [String] = []
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            let token = word.trimmingCharacters(in: CharacterSet(charactersIn: ".,;:()<>\"'[]"))
            words.append(isEmailLike(token) ? maskToken : String(word))
        }
        return maskPhoneRuns(words.joined(separator: " "))
    }

    /// Replaces each run of nine or more digits joined only by phone punctuation.
    static func maskPhoneRuns(_ text: String) -> String {
        let characters = Array(text)
        var result = ""
        var index = 0
        while index < characters.count {
            guard characters[index].isASCII, characters[index].isNumber || characters[index] == "+" else {
                result.append(characters[index])
                index += 1
                continue
            }
            var end = index
            var digits = 0
            var lastDigit = index
            while end < characters.count, characters[end].isASCII,
                characters[end].isNumber || "+-(). ".contains(characters[end])
            {
                if characters[end].isNumber {
                    digits += 1
                    lastDigit = end
                }
                end += 1
            }
            if digits >= 9 {
                result += maskToken
                index = lastDigit + 1
            } else {
                result.append(characters[index])
                index += 1
            }
        }
        return result
    }

    static func isEmailLike(_ token: some StringProtocol) -> Bool {
        guard let at = token.firstIndex(of: "@"), at != token.startIndex else { return false }
        let domain = token[token.index(after: at)...]
        return domain.contains(".") && !domain.hasSuffix(".")
    }

    /// Nine or more digits with only phone punctuation between them.
    static func hasPhoneLikeRun(_ text: String) -> Bool {
        var digits = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits += 1
                if digits >= 9 { return true }
            case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "."),
                UInt8(ascii: " "):
                continue
            default:
                digits = 0
            }
        }
        return false
    }
}

extension PIIScanner {
    /// `text` without any `maskToken`, with the spaces around a removed token collapsed; what the
    /// copywriter shows a customer of a masked title ("Gift card for [redacted]" reads "Gift card for").
    package static func unmasked(_ text: String) -> String {
        guard text.contains(maskToken) else { return text }
        let words = text.replacingOccurrences(of: maskToken, with: " ").split(separator: " ")
        return words.joined(separator: " ").trimmingCharacters(in: CharacterSet(charactersIn: " ,;:-"))
    }
}

import Foundation

/// Finds personal data in free text by shape: email addresses and phone numbers. (The known
/// values of one customer are matched as whole words by `DraftValidator`.)
public enum PIIScanner {
    /// Email-like and phone-like runs in `text`.
    public static func findings(in text: String) -> [String] {
        var found: [String] = []
        let hasAt = text.utf8.contains(UInt8(ascii: "@"))
        for word in hasAt ? text.split(whereSeparator: { $0.isWhitespace || $0 == "," || $0 == ";" }) : []
        where word.contains("@") {
            let token = word.trimmingCharacters(in: CharacterSet(charactersIn: ".()<>\"'[]:"))
            if isEmailLike(token) { found.append("email address") }
        }
        if hasPhoneLikeRun(text) { found.append("phone number") }
        return found
    }

    /// `text` with email-like tokens and phone-like runs replaced by "[redacted]".
    public static func mask(_ text: String) -> String {
        guard text.contains("@") || hasPhoneLikeRun(text) else { return text }
        var words: [String] = []
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            let token = word.trimmingCharacters(in: CharacterSet(charactersIn: ".,;:()<>\"'[]"))
            words.append(isEmailLike(token) ? "[redacted]" : String(word))
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
                result += "[redacted]"
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

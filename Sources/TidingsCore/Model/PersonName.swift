import Foundation

/// What a greeting may call a customer. A platform's first-name field is free text a shopper
/// typed: it can hold markup, line breaks, an address or a sentence. Only a name-like value is
/// used; anything else gets the generic greeting, because a cleaned-up fragment of a hostile value
/// ("scriptalert(1)/script") is worse than no name.
package enum PersonName {
    /// The longest first name used, in characters.
    package static let maximumLength = 40

    /// `raw` trimmed, with inner whitespace runs collapsed to one space, when the result is
    /// name-like: 1 to 40 characters, starting with a letter, and only letters (any script, with
    /// their combining marks), spaces, hyphens, apostrophes and periods ("Anne-Marie", "O'Neil",
    /// "J.", "José", "李"). Nil for anything else: markup, digits, "@", controls, line breaks.
    package static func greetingName(_ raw: String?) -> String? {
        guard let trimmed = raw?.trimmingCharacters(in: .whitespacesAndNewlines) else { return nil }
        // A line break or other control inside the value is not a typo to tidy: the value is not a name.
        guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            return nil
        }
        let words = trimmed.split(whereSeparator: { $0.isWhitespace })
        let name = words.joined(separator: " ")
        guard !name.isEmpty, name.count <= maximumLength, name.first?.isLetter == true else { return nil }
        let punctuation: Set<Character> = ["-", "'", "\u{2019}", ".", " "]
        guard name.allSatisfy({ $0.isLetter || punctuation.contains($0) }) else { return nil }
        return name
    }
}

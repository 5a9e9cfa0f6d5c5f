import Foundation

/// A decimal amount with its ISO 4217 currency. Never a floating-point number: platform strings
/// such as "29.99" are parsed exactly and totals are computed in decimals.
package struct Money: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// The exact decimal amount, in the currency's main unit (29.99 dollars, not cents).
    package var amount: Decimal
    /// The ISO 4217 code, upper-case ("USD").
    package var currency: String

    /// Creates money from a decimal amount in main units and an ISO 4217 code.
    package init(_ amount: Decimal, _ currency: String) {
        self.amount = amount
        self.currency = currency
    }

    /// Parses a platform money string ("29.99", "-3", "0.5"). Returns nil for anything that is not
    /// a plain decimal number, so "1e3", "29,99" or "" never become amounts by accident.
    package init?(parsing text: String, currency: String) {
        guard Money.isPlainDecimal(text), let amount = Decimal(string: text) else { return nil }
        self.init(amount, currency)
    }

    /// Zero in a currency, the start of a sum.
    package static func zero(_ currency: String) -> Money { Money(0, currency) }

    /// The amount rounded to cents, as a plain string ("29.90").
    package var plainAmount: String {
        var value = amount
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 2, .bankers)
        let cents = NSDecimalNumber(decimal: rounded * 100).int64Value
        let sign = cents < 0 ? "-" : ""
        let absolute = cents.magnitude
        let fraction = absolute % 100
        return "\(sign)\(absolute / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// A customer-facing rendering: "$29.90" for USD, "29.90 EUR" otherwise.
    package var display: String {
        switch currency {
        case "USD": return "$" + plainAmount
        case "GBP": return "£" + plainAmount
        case "EUR": return "€" + plainAmount
        default: return plainAmount + " " + currency
        }
    }

    /// "29.90 USD", for logs and debugging.
    package var description: String { plainAmount + " " + currency }

    /// Compares amounts only; the caller must not compare different currencies.
    package static func < (lhs: Money, rhs: Money) -> Bool { lhs.amount < rhs.amount }

    /// Adds amounts and keeps the left currency; the caller must not mix currencies.
    package static func + (lhs: Money, rhs: Money) -> Money { Money(lhs.amount + rhs.amount, lhs.currency) }

    /// Multiplies the amount by a count, such as a line's quantity.
    package static func * (lhs: Money, rhs: Int) -> Money { Money(lhs.amount * Decimal(rhs), lhs.currency) }

    /// This amount as a share of `whole` (0.25 for a quarter); 0 when `whole` is zero.
    package func share(of whole: Money) -> Decimal {
        whole.amount == 0 ? 0 : amount / whole.amount
    }

    static func isPlainDecimal(_ text: String) -> Bool {
        var digitsBefore = 0
        var digitsAfter = 0
        var seenPoint = false
        for (index, character) in text.utf8.enumerated() {
            switch character {
            case UInt8(ascii: "-") where index == 0: continue
            case UInt8(ascii: "."):
                if seenPoint { return false }
                seenPoint = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if seenPoint { digitsAfter += 1 } else { digitsBefore += 1 }
            default: return false
            }
        }
        return digitsBefore > 0 && (!seenPoint || digitsAfter > 0)
    }
}

extension Decimal {
    /// A ratio such as 0.2345 as a whole percentage (23), rounded half up.
    package var wholePercent: Int {
        var value = self * 100
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, 0, .plain)
        return NSDecimalNumber(decimal: rounded).intValue
    }
}

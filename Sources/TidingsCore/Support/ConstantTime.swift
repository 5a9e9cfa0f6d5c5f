/// Comparison of secrets whose time does not depend on where the bytes first differ, so response
/// timing cannot reveal how much of a guess was right. Where the secret is a full HMAC, prefer
/// swift-crypto's `HMAC.isValidAuthenticationCode`, which does the same inside; this is for the
/// rest (a shared webhook secret, a truncated token).
package enum ConstantTime {
    /// Whether the two byte sequences are equal; the time depends only on their lengths.
    package static func equals<Left: Collection, Right: Collection>(_ left: Left, _ right: Right) -> Bool
    where Left.Element == UInt8, Right.Element == UInt8 {
        let left = Array(left)
        let right = Array(right)
        var difference = UInt8(truncatingIfNeeded: left.count ^ right.count)
        for index in 0..<max(left.count, right.count) {
            let a = index < left.count ? left[index] : 0
            let b = index < right.count ? right[index] : 0
            difference |= a ^ b
        }
        return difference == 0 && left.count == right.count
    }
}

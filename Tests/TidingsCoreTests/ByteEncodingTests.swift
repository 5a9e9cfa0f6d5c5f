import Crypto
import Foundation
import Testing

@testable import TidingsCore

@Suite("Hex, percent-encoding and constant-time comparison: one of each")
struct ByteEncodingTests {
    @Test func hexIsTwoDigitsPerByteZeroPadded() {
        #expect(Hex.encode([0x00, 0x0f, 0xa0, 0xff]) == "000fa0ff")
        #expect(Hex.encode([0x00, 0x0f, 0xa0, 0xff], uppercase: true) == "000FA0FF")
        #expect(Hex.encode([UInt8]()) == "")
        // SHA-256 of "abc" (FIPS 180-2 appendix B.1), the form the audit chain and ids use.
        #expect(
            Hex.encode(SHA256.hash(data: Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var bytes = Array("=".utf8)
        Hex.append(0x3d, uppercase: true, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "=3D")
    }

    @Test func idsAndFileNamesUseTheSharedEncoder() {
        // A digest byte below 0x10 must keep its leading zero in every id built from it.
        #expect(EventDecoder.fallbackEventID(for: Array("x".utf8)).count == "sha256:".count + 16)
        #expect(
            CartAbandonedPlanner.guestKey(email: "A@b.example") == CartAbandonedPlanner.guestKey(email: "a@b.example"))
        #expect(CartAbandonedPlanner.guestKey(email: "a@b.example").count == "guest:".count + 32)
    }

    @Test func percentEncodingKeepsOnlyASCIIUnreserved() {
        #expect(PercentEncoding.encode("AZaz09-._~") == "AZaz09-._~")
        #expect(PercentEncoding.encode("a b/c?d&e=f#g%") == "a%20b%2Fc%3Fd%26e%3Df%23g%25")
        #expect(PercentEncoding.encode("\n") == "%0A")
        // Non-ASCII letters are letters to Foundation's `.alphanumerics`, but not unreserved.
        #expect(PercentEncoding.encode("é") == "%C3%A9")
        #expect(PercentEncoding.encode("../x") == "..%2Fx")
        #expect(PlatformAPI.pathSegment("gid://shopify/Customer/7 é") == "gid%3A%2F%2Fshopify%2FCustomer%2F7%20%C3%A9")
    }

    @Test func constantTimeEqualsIsStillEquality() {
        #expect(ConstantTime.equals(Array("secret".utf8), Array("secret".utf8)))
        #expect(!ConstantTime.equals(Array("secret".utf8), Array("secreT".utf8)))
        #expect(!ConstantTime.equals(Array("secret".utf8), Array("secret2".utf8)))
        #expect(!ConstantTime.equals([UInt8](), Array("s".utf8)))
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
        // Lengths that differ by a multiple of 256 must not look equal after truncation.
        #expect(!ConstantTime.equals([UInt8](repeating: 0, count: 256), [UInt8]()))
        #expect(ConstantTime.equals("tök".utf8, Array("tök".utf8)))
    }

    @Test func unsubscribeTokensCompareInConstantTime() {
        let key = SymmetricKey(data: Array("k".utf8))
        let token = EmailRenderer.unsubscribeToken(customerID: "7", storefrontURL: "https://s.example", key: key)
        #expect(
            EmailRenderer.verifyUnsubscribeToken(token, customerID: "7", storefrontURL: "https://s.example", key: key))
        #expect(
            !EmailRenderer.verifyUnsubscribeToken(token, customerID: "8", storefrontURL: "https://s.example", key: key))
        #expect(
            !EmailRenderer.verifyUnsubscribeToken(
                String(token.dropLast()), customerID: "7", storefrontURL: "https://s.example", key: key))
    }
}

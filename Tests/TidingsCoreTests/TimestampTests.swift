import Foundation
import Testing

@testable import TidingsCore

@Suite("Timestamp: the one parser and formatter")
struct TimestampTests {
    /// 2026-11-20T15:12:00Z.
    static let instant = Date(timeIntervalSince1970: 1_795_187_520)

    @Test func rejectsFebruaryThirtyFirstOnEveryPath() throws {
        #expect(Timestamp.parse("2026-02-31T10:00:00Z") == nil)
        #expect(Timestamp.parse("2026-04-31T10:00:00-05:00") == nil)
        #expect(Timestamp.parseRFC2822("31 Feb 2026 10:00:00 +0000") == nil)
        #expect(Timestamp.epochSeconds(2026, 2, 31) == nil)
        #expect(Timestamp.parseISO8601Milliseconds(Array("2026-02-31T10:00:00.000Z".utf8)) == nil)
        #expect(AuditTimestamp(iso8601: Array("2026-02-31T10:00:00.000Z".utf8)) == nil)
        #expect(CustomerTransactionLog.dayNumber("20260231") == nil)

        // The platform responses' Decodable wrappers (JSONDecoder) and the event reader.
        struct Times: Decodable {
            var iso: Wire.ISOTimestamp?
            var rfc: Wire.RFC2822Timestamp?
        }
        let decoder = JSONDecoder()
        #expect(throws: DecodingError.self) {
            try decoder.decode(Times.self, from: Data(#"{"iso":"2026-02-31T10:00:00Z"}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try decoder.decode(Times.self, from: Data(#"{"rfc":"Tue, 31 Feb 2026 10:00:00 +0000"}"#.utf8))
        }
        let good = try decoder.decode(
            Times.self, from: Data(#"{"iso":"2026-11-20T10:12:00-05:00","rfc":"Fri, 20 Nov 2026 15:12:00 +0000"}"#.utf8)
        )
        #expect(good.iso?.date == Self.instant && good.rfc?.date == Self.instant)

        let reader = JSONObjectReader(["at": .string("2026-02-31T10:00:00Z")])
        #expect(throws: InputError.self) { try reader.date("at") }
        #expect(throws: ConfigurationError.self) {
            try Configuration.load(environment: ["TIDINGS_NOW": "2026-02-31T10:00:00Z"])
        }
    }

    @Test func leapYears() {
        #expect(Timestamp.parse("2028-02-29T10:00:00Z") != nil)
        #expect(Timestamp.parse("2000-02-29T10:00:00Z") != nil)  // divisible by 400
        #expect(Timestamp.parse("2100-02-29T10:00:00Z") == nil)  // divisible by 100 only
        #expect(Timestamp.parse("2026-02-29T10:00:00Z") == nil)
        #expect(Timestamp.parseRFC2822("Tue, 29 Feb 2028 00:00:00 +0000") != nil)
        #expect(
            Timestamp.format(Timestamp.parse("2028-02-29T23:59:59Z")!.addingTimeInterval(1))
                == "2028-03-01T00:00:00.000Z")
        #expect(Timestamp.day(Timestamp.parse("1969-12-31T23:59:59Z")!) == "1969-12-31")
    }

    @Test func offsetsAreAppliedAndKept() throws {
        #expect(Timestamp.parse("2026-11-20T10:12:00-05:00") == Self.instant)
        #expect(Timestamp.parse("2026-11-20T10:12:00-0500") == Self.instant)
        #expect(Timestamp.parse("2026-11-21T00:12:00+09:00") == Self.instant)
        #expect(Timestamp.utcOffset(of: "2026-11-21T00:12:00+09:00") == 32_400)
        #expect(Timestamp.utcOffset(of: "2026-11-20T10:12:00-05:30") == -19_800)
        #expect(Timestamp.utcOffset(of: "2026-11-20T15:12:00Z") == 0)
        #expect(Timestamp.parse("2026-11-20T15:12:00") == nil)  // no offset: which 15:12?
        #expect(Timestamp.parse("2026-11-20T15:12:00+24:00") == nil)
        #expect(Timestamp.parse("2026-11-20T15:12:00+05:60") == nil)
        #expect(Timestamp.parse("2026-11-20T15:12:00Z ") == nil)
        #expect(Timestamp.parse("2026-11-20") == nil)
    }

    @Test func fractionalSeconds() throws {
        let parsed = try #require(Timestamp.parse("2026-11-20T15:12:00.123Z"))
        #expect(Timestamp.format(parsed) == "2026-11-20T15:12:00.123Z")
        #expect(Timestamp.format(parsed, milliseconds: false) == "2026-11-20T15:12:00Z")
        #expect(
            Timestamp.format(try #require(Timestamp.parse("2026-11-20T15:12:00.9996Z"))) == "2026-11-20T15:12:01.000Z")
        #expect(Timestamp.parse("2026-11-20T10:12:00.5-05:00") == Self.instant.addingTimeInterval(0.5))
        #expect(Timestamp.parse("2026-11-20T15:12:00.Z") == nil)
        var bytes: [UInt8] = []
        Timestamp.appendISO8601(milliseconds: 1_795_187_520_123, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "2026-11-20T15:12:00.123Z")
        #expect(Timestamp.parseISO8601Milliseconds(bytes) == 1_795_187_520_123)
        #expect(AuditTimestamp(parsed).milliseconds == 1_795_187_520_123)
    }

    @Test func rfc2822AsPlatformsEmailAndRetryAfterWriteIt() {
        #expect(Timestamp.parseRFC2822("Fri, 20 Nov 2026 15:12:00 +0000") == Self.instant)
        #expect(Timestamp.parseRFC2822("Fri, 20 Nov 2026 10:12:00 -0500") == Self.instant)
        #expect(Timestamp.parseRFC2822("20 Nov 2026 15:12:00 +0000") == Self.instant)  // weekday optional
        // An HTTP date as a Retry-After header carries it (RFC 9110 IMF-fixdate, zone GMT).
        #expect(Timestamp.parseRFC2822("Sun, 06 Nov 1994 08:49:37 GMT") == Date(timeIntervalSince1970: 784_111_777))
        #expect(Timestamp.parseRFC2822("Mon, 06 Nov 1994 08:49:37 GMT") == nil)  // wrong weekday
        #expect(Timestamp.parseRFC2822("Sun, 06 Nov 1994 08:49:37") == nil)  // no zone
        #expect(Timestamp.parseRFC2822("Sun, 06 Nov 1994 08:49:37 EST") == nil)  // obsolete named zone
        #expect(Timestamp.parseRFC2822("Sun, 06 Foo 1994 08:49:37 GMT") == nil)
        #expect(Timestamp.rfc5322(Self.instant) == "Fri, 20 Nov 2026 15:12:00 +0000")
        #expect(Timestamp.parseRFC2822(Timestamp.rfc5322(Self.instant)) == Self.instant)
    }

    @Test func fixedLayouts() {
        #expect(Timestamp.compact(Self.instant) == "20261120T151200Z")
        #expect(Timestamp.civil(seconds: 1_795_187_520) == "2026-11-20T15:12:00")
        #expect(Timestamp.day(Self.instant) == "2026-11-20")
        #expect(Timestamp.weekdayNames[Timestamp.weekday(days: 0)] == "Thu")
    }
}

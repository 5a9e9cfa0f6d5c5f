import Foundation
import Testing

@testable import TidingsCore

/// The pure parts of the frequency cap and quiet hours (docs/decisions/frequency-and-quiet-hours.md).
@Suite("Frequency cap and quiet hours")
struct FrequencyAndQuietHoursTests {
    static func time(_ text: String) -> Date { Timestamp.parse(text)! }
    static let losAngeles = TimeZone(identifier: "America/Los_Angeles")!
    static let newYork = TimeZone(identifier: "America/New_York")!
    static let evening = QuietHours(startMinute: 21 * 60, endMinute: 8 * 60, shopTimeZone: newYork)

    // MARK: - Frequency cap

    @Test("The send day's cap is the maximum less the busiest window's other days, future days included")
    func dayCap() {
        let cap = FrequencyCap(maximum: 3, windowDays: 7)
        // 13 days: six before the send day, the send day (index 6), six after.
        var counts = [Int64](repeating: 0, count: 13)
        #expect(cap.dayCap(counts: counts) == 3)
        counts[0] = 2  // six days before: in the window that ends on the send day
        #expect(cap.dayCap(counts: counts) == 1)
        counts[12] = 2  // six days after (a scheduled message): in the window that starts on it
        #expect(cap.dayCap(counts: counts) == 1)
        counts[3] = 1  // with day 0 in the same window: 3 others, no room
        #expect(cap.dayCap(counts: counts) == 0)
        // A sliding window, not a calendar week: three six days before leave no room.
        var before = [Int64](repeating: 0, count: 13)
        before[0] = 3
        #expect(cap.dayCap(counts: before) == 0)
        // The send day's own count is not among "the others": the store's cap compares it.
        var today = [Int64](repeating: 0, count: 13)
        today[6] = 3
        #expect(cap.dayCap(counts: today) == 3)
    }

    @Test("The days around a send time are UTC days, the send day in the middle")
    func days() {
        let cap = FrequencyCap(maximum: 1, windowDays: 3)
        let days = cap.days(around: Self.time("2026-11-21T23:59:00-05:00"))
        #expect(
            days.map { Timestamp.day($0.start) } == [
                "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24",
            ])
        #expect(FrequencyCap.counterKey(customerKey: "guest:ab12") == "frequency:marketing:guest:ab12")
    }

    // MARK: - Quiet hours

    @Test("23:30 in the customer's zone moves to 08:00 the next morning; 08:00 and 20:59 stay")
    func nextMorning() throws {
        let planned = Self.time("2026-11-21T23:30:00-08:00")
        let moved = try #require(Self.evening.deferral(of: planned, now: planned, in: Self.losAngeles))
        #expect(moved == Self.time("2026-11-22T08:00:00-08:00"))
        // Past midnight it is the same day's morning.
        #expect(
            Self.evening.deferral(of: Self.time("2026-11-22T03:10:00-08:00"), now: planned, in: Self.losAngeles)
                == Self.time("2026-11-22T08:00:00-08:00"))
        #expect(
            Self.evening.deferral(of: Self.time("2026-11-22T08:00:00-08:00"), now: planned, in: Self.losAngeles) == nil)
        #expect(
            Self.evening.deferral(of: Self.time("2026-11-22T20:59:00-08:00"), now: planned, in: Self.losAngeles) == nil)
        // The same instant is 02:30 in New York: the shop's zone would move it to 08:00 there.
        #expect(
            Self.evening.deferral(of: planned, now: planned, in: Self.newYork) == Self.time("2026-11-22T08:00:00-05:00")
        )
    }

    @Test("A planned time already past is judged at now: it goes at once unless now is quiet")
    func pastPlannedTime() {
        let planned = Self.time("2026-11-21T23:30:00-08:00")
        #expect(
            Self.evening.deferral(of: planned, now: Self.time("2026-11-22T09:00:00-08:00"), in: Self.losAngeles) == nil)
        #expect(
            Self.evening.deferral(of: Self.time("2026-11-21T12:00:00-08:00"), now: planned, in: Self.losAngeles)
                == Self.time("2026-11-22T08:00:00-08:00"))
    }

    @Test("Quiet hours within one day (12:00-13:30) move to their end the same day")
    func daytime() {
        let lunch = QuietHours(startMinute: 12 * 60, endMinute: 13 * 60 + 30, shopTimeZone: Self.newYork)
        let noon = Self.time("2026-11-21T12:15:00-05:00")
        #expect(lunch.deferral(of: noon, now: noon, in: Self.newYork) == Self.time("2026-11-21T13:30:00-05:00"))
        #expect(lunch.deferral(of: Self.time("2026-11-21T13:30:00-05:00"), now: noon, in: Self.newYork) == nil)
        #expect(lunch.window == "12:00-13:30")
    }

    @Test("DST: the night of spring-forward and of fall-back ends at 08:00 local, 8 and 10 hours later")
    func daylightSaving() throws {
        // 2027-03-14: Los Angeles goes from PST (-08) to PDT (-07) at 02:00.
        let spring = Self.time("2027-03-13T23:00:00-08:00")
        let springMoved = try #require(Self.evening.deferral(of: spring, now: spring, in: Self.losAngeles))
        #expect(springMoved == Self.time("2027-03-14T08:00:00-07:00"))
        #expect(springMoved.timeIntervalSince(spring) == 8 * 3600)
        // 2026-11-01: PDT (-07) back to PST (-08) at 02:00.
        let fall = Self.time("2026-10-31T23:00:00-07:00")
        let fallMoved = try #require(Self.evening.deferral(of: fall, now: fall, in: Self.losAngeles))
        #expect(fallMoved == Self.time("2026-11-01T08:00:00-08:00"))
        #expect(fallMoved.timeIntervalSince(fall) == 10 * 3600)
        // Inside the repeated hour (01:30 PST, the second one) it is still quiet.
        let repeated = Self.time("2026-11-01T01:30:00-08:00")
        #expect(Self.evening.deferral(of: repeated, now: repeated, in: Self.losAngeles) == fallMoved)
    }

    @Test("An end time the spring-forward skips (02:30) is the first minute after the gap")
    func endInTheGap() throws {
        let night = QuietHours(startMinute: 22 * 60, endMinute: 2 * 60 + 30, shopTimeZone: Self.newYork)
        // 2027-03-14 in New York: 02:00 EST is 03:00 EDT; 02:30 does not exist.
        let planned = Self.time("2027-03-13T23:00:00-05:00")
        let moved = try #require(night.deferral(of: planned, now: planned, in: Self.newYork))
        #expect(moved == Self.time("2027-03-14T03:00:00-04:00"))
        #expect(!night.contains(moved, in: Self.newYork))
    }

    @Test("HH:MM is read strictly")
    func minutes() {
        #expect(QuietHours.minutes(of: "21:00") == 1260)
        #expect(QuietHours.minutes(of: "08:05") == 485)
        for bad in ["8:00", "24:00", "21:60", "21", "21:00:00", "ab:cd", ""] {
            #expect(QuietHours.minutes(of: bad) == nil, "\(bad)")
        }
    }

    // MARK: - Configuration

    static func load(_ file: String) throws -> Configuration {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tidings-caps-\(UUID().uuidString).json")
        try Data(file.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try Configuration.load(
            environment: ["TIDINGS_SHOP_DIR": TestPaths.shop.path, "TIDINGS_CONFIG_FILE": url.path])
    }

    @Test("frequency and quiet_hours are read from the config file; both are off without them")
    func configuration() throws {
        let none = try Self.load("{}")
        #expect(none.contact.frequency == nil)
        #expect(none.contact.quietHours == nil)
        let both = try Self.load(
            #"""
            {"frequency": {"marketing": {"max": 3, "window_days": 7}},
             "quiet_hours": {"start": "21:00", "end": "08:00", "shop_time_zone": "America/New_York"}}
            """#)
        #expect(both.contact.frequency == FrequencyCap(maximum: 3, windowDays: 7))
        #expect(both.contact.quietHours == QuietHours(startMinute: 1260, endMinute: 480, shopTimeZone: Self.newYork))
        let utc = try Self.load(#"{"quiet_hours": {"start": "21:00", "end": "08:00"}}"#).contact.quietHours
        #expect(utc?.shopTimeZone == TimeZone(identifier: "UTC"))
        #expect(utc?.shopTimeZone.secondsFromGMT(for: Self.time("2026-07-01T12:00:00Z")) == 0)
    }

    @Test(
        "A bad frequency or quiet_hours value stops start-up naming its key",
        arguments: [
            (#"{"frequency": {"marketing": {"max": 0, "window_days": 7}}}"#, "frequency.marketing.max"),
            (#"{"frequency": {"marketing": {"max": 3, "window_days": 91}}}"#, "frequency.marketing.window_days"),
            (#"{"frequency": {"marketing": {"max": 3}}}"#, "frequency.marketing.window_days"),
            (#"{"frequency": {"transactional": {"max": 3, "window_days": 7}}}"#, "frequency.transactional"),
            (#"{"quiet_hours": {"start": "9pm", "end": "08:00"}}"#, "quiet_hours.start"),
            (#"{"quiet_hours": {"start": "08:00", "end": "08:00"}}"#, "quiet_hours.end"),
            (
                #"{"quiet_hours": {"start": "21:00", "end": "08:00", "shop_time_zone": "Mars/Olympus"}}"#,
                "quiet_hours.shop_time_zone"
            ),
            (#"{"quiet_hours": {"start": "21:00", "end": "08:00", "zone": "UTC"}}"#, "quiet_hours.zone"),
        ])
    func badConfiguration(file: String, key: String) {
        #expect(throws: ConfigurationError.self) { try Self.load(file) }
        do {
            _ = try Self.load(file)
        } catch let error as ConfigurationError {
            #expect(error.key == key, "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    // MARK: - The customer's zone

    @Test("The record's zone wins over the address's, the address's over the shop's")
    func zoneOrder() {
        let oregon = CustomerRegion(countryCode: "US", provinceCode: "OR")
        let fromRecord = CustomerTimeZone.resolve(recordZone: "America/Chicago", region: oregon, shop: Self.newYork)
        #expect(fromRecord.zone.identifier == "America/Chicago")
        #expect(fromRecord.source == .customer)
        let fromAddress = CustomerTimeZone.resolve(recordZone: nil, region: oregon, shop: Self.newYork)
        #expect(fromAddress.zone.identifier == "America/Los_Angeles")
        #expect(fromAddress.source == .address)
        let fromShop = CustomerTimeZone.resolve(
            recordZone: "Not/AZone", region: CustomerRegion(countryCode: "US"), shop: Self.newYork)
        #expect(fromShop.zone.identifier == "America/New_York")
        #expect(fromShop.source == .shop)
        #expect(CustomerTimeZone.zoneName(CustomerRegion(countryCode: "gb", provinceCode: "ENG")) == "Europe/London")
        #expect(CustomerTimeZone.zoneName(CustomerRegion(countryCode: "CA", provinceCode: "qc")) == "America/Toronto")
    }

    @Test("Every zone in the table is one the system knows")
    func tableZonesExist() {
        let names =
            Array(CustomerTimeZone.singleZoneCountries.values)
            + CustomerTimeZone.provinces.values.flatMap(\.values)
        for name in names {
            #expect(TimeZone(identifier: name) != nil, "\(name)")
        }
    }

    @Test("A Shopify checkout's shipping address gives the customer's region")
    func checkoutRegion() throws {
        let body = try JSONObjectReader(
            JSONParser.parse(
                Array(
                    #"""
                    {"email": "guest@example.com",
                     "shipping_address": {"country_code": "US", "province_code": "OR"},
                     "billing_address": {"country_code": "CA", "province_code": "QC"}}
                    """#.utf8)))
        let guest = try ShopifyCheckoutDecoder.decodeCustomer(body)
        #expect(guest.region == CustomerRegion(countryCode: "US", provinceCode: "OR"))
    }
}

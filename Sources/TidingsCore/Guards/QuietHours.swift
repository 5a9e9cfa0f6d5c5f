import Foundation

/// Hours of the customer's own day in which no email is sent, such as 21:00 to 08:00 (the config
/// file's `quiet_hours`; docs/decisions/frequency-and-quiet-hours.md). A send time inside them
/// moves to the next moment they end, in the customer's zone, with that zone's daylight-saving
/// rules. Pure: the pipeline picks the zone (`CustomerTimeZone`) and records the move.
package struct QuietHours: Sendable, Hashable {
    /// Minutes after local midnight when the quiet hours begin (`quiet_hours.start`).
    package var startMinute: Int
    /// Minutes after local midnight when they end (`quiet_hours.end`); before `startMinute` when
    /// they span midnight.
    package var endMinute: Int
    /// The zone of a customer whose own zone is not known (`quiet_hours.shop_time_zone`, default UTC).
    package var shopTimeZone: TimeZone

    /// Quiet hours from `startMinute` to `endMinute` (minutes after local midnight, not equal).
    package init(startMinute: Int, endMinute: Int, shopTimeZone: TimeZone) {
        precondition(
            (0..<1440).contains(startMinute) && (0..<1440).contains(endMinute) && startMinute != endMinute,
            "quiet hours start and end at different minutes of the day")
        self.startMinute = startMinute
        self.endMinute = endMinute
        self.shopTimeZone = shopTimeZone
    }

    /// Minutes after midnight of `HH:MM` (00:00 to 23:59); nil for anything else.
    package static func minutes(of text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }),
            let hour = Int(parts[0]), let minute = Int(parts[1]), (0..<24).contains(hour), (0..<60).contains(minute)
        else { return nil }
        return hour * 60 + minute
    }

    /// Whether `time` falls inside the quiet hours of `zone`'s local day.
    package func contains(_ time: Date, in zone: TimeZone) -> Bool {
        let minute = Self.calendar(zone).dateComponents([.hour, .minute], from: time)
        let local = (minute.hour ?? 0) * 60 + (minute.minute ?? 0)
        if startMinute < endMinute { return local >= startMinute && local < endMinute }
        return local >= startMinute || local < endMinute
    }

    /// When a message planned for `sendAt` may go out, handled at `now`: nil when it may go as
    /// planned; otherwise the first moment the quiet hours end after it. A planned time already
    /// past goes out at once, so `now` is what is checked then. An end time that a spring-forward
    /// skips is the first minute after the gap; one a fall-back repeats is its first occurrence.
    package func deferral(of sendAt: Date, now: Date, in zone: TimeZone) -> Date? {
        let effective = max(sendAt, now)
        guard contains(effective, in: zone) else { return nil }
        return Self.calendar(zone).nextDate(
            after: effective, matching: DateComponents(hour: endMinute / 60, minute: endMinute % 60, second: 0),
            matchingPolicy: .nextTime, repeatedTimePolicy: .first, direction: .forward)
    }

    /// The start and end as `HH:MM`, as the audit writes them.
    package var window: String { "\(Self.clock(startMinute))-\(Self.clock(endMinute))" }

    static func clock(_ minutes: Int) -> String {
        let hour = minutes / 60
        let minute = minutes % 60
        return (hour < 10 ? "0" : "") + "\(hour):" + (minute < 10 ? "0" : "") + "\(minute)"
    }

    static func calendar(_ zone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar
    }
}

/// The customer's own time zone, from what the platform and the event know about them, or the
/// shop's. Pure: a table of regions whose zone is plain from the address (docs/decisions/
/// frequency-and-quiet-hours.md lists what it covers and why).
package enum CustomerTimeZone {
    /// Where a zone came from, as the audit names it.
    package enum Source: String, Sendable {
        /// The platform's customer record named an IANA zone.
        case customer
        /// The customer's address (country, and for large countries the state or province).
        case address
        /// Nothing about the customer said: the shop's zone.
        case shop
    }

    /// The zone of a customer: the record's IANA zone, else the address's, else the shop's.
    package static func resolve(recordZone: String?, region: CustomerRegion?, shop: TimeZone) -> (
        zone: TimeZone, source: Source
    ) {
        if let name = recordZone, let zone = TimeZone(identifier: name) { return (zone, .customer) }
        if let region, let name = zoneName(region), let zone = TimeZone(identifier: name) { return (zone, .address) }
        return (shop, .shop)
    }

    /// The IANA zone of an address's country and province, when the table holds one: a country of
    /// one zone by its code, a country of several by its state or province (the zone of most of
    /// its people where one state spans two). Nil when the address does not say enough.
    package static func zoneName(_ region: CustomerRegion) -> String? {
        let country = region.countryCode.uppercased()
        if let zone = singleZoneCountries[country] { return zone }
        guard let province = region.provinceCode?.uppercased() else { return nil }
        return provinces[country]?[province]
    }

    /// Countries with one zone for (nearly) all their people.
    static let singleZoneCountries: [String: String] = [
        "GB": "Europe/London", "IE": "Europe/Dublin", "FR": "Europe/Paris", "DE": "Europe/Berlin",
        "NL": "Europe/Amsterdam", "BE": "Europe/Brussels", "LU": "Europe/Luxembourg", "CH": "Europe/Zurich",
        "AT": "Europe/Vienna", "IT": "Europe/Rome", "ES": "Europe/Madrid", "PT": "Europe/Lisbon",
        "DK": "Europe/Copenhagen", "SE": "Europe/Stockholm", "NO": "Europe/Oslo", "FI": "Europe/Helsinki",
        "PL": "Europe/Warsaw", "CZ": "Europe/Prague", "GR": "Europe/Athens", "JP": "Asia/Tokyo",
        "KR": "Asia/Seoul", "SG": "Asia/Singapore", "HK": "Asia/Hong_Kong", "IN": "Asia/Kolkata",
        "NZ": "Pacific/Auckland", "ZA": "Africa/Johannesburg", "IL": "Asia/Jerusalem", "AE": "Asia/Dubai",
    ]

    /// States and provinces of countries that span zones.
    static let provinces: [String: [String: String]] = [
        "US": [
            "AL": "America/Chicago", "AK": "America/Anchorage", "AZ": "America/Phoenix", "AR": "America/Chicago",
            "CA": "America/Los_Angeles", "CO": "America/Denver", "CT": "America/New_York", "DE": "America/New_York",
            "DC": "America/New_York", "FL": "America/New_York", "GA": "America/New_York", "HI": "Pacific/Honolulu",
            "ID": "America/Boise", "IL": "America/Chicago", "IN": "America/Indiana/Indianapolis",
            "IA": "America/Chicago", "KS": "America/Chicago", "KY": "America/New_York", "LA": "America/Chicago",
            "ME": "America/New_York", "MD": "America/New_York", "MA": "America/New_York", "MI": "America/Detroit",
            "MN": "America/Chicago", "MS": "America/Chicago", "MO": "America/Chicago", "MT": "America/Denver",
            "NE": "America/Chicago", "NV": "America/Los_Angeles", "NH": "America/New_York", "NJ": "America/New_York",
            "NM": "America/Denver", "NY": "America/New_York", "NC": "America/New_York", "ND": "America/Chicago",
            "OH": "America/New_York", "OK": "America/Chicago", "OR": "America/Los_Angeles",
            "PA": "America/New_York", "RI": "America/New_York", "SC": "America/New_York", "SD": "America/Chicago",
            "TN": "America/Chicago", "TX": "America/Chicago", "UT": "America/Denver", "VT": "America/New_York",
            "VA": "America/New_York", "WA": "America/Los_Angeles", "WV": "America/New_York",
            "WI": "America/Chicago", "WY": "America/Denver", "PR": "America/Puerto_Rico",
        ],
        "CA": [
            "AB": "America/Edmonton", "BC": "America/Vancouver", "MB": "America/Winnipeg", "NB": "America/Moncton",
            "NL": "America/St_Johns", "NS": "America/Halifax", "NT": "America/Yellowknife", "NU": "America/Iqaluit",
            "ON": "America/Toronto", "PE": "America/Halifax", "QC": "America/Toronto", "SK": "America/Regina",
            "YT": "America/Whitehorse",
        ],
        "AU": [
            "ACT": "Australia/Sydney", "NSW": "Australia/Sydney", "NT": "Australia/Darwin",
            "QLD": "Australia/Brisbane", "SA": "Australia/Adelaide", "TAS": "Australia/Hobart",
            "VIC": "Australia/Melbourne", "WA": "Australia/Perth",
        ],
        "MX": [
            "BCN": "America/Tijuana", "SON": "America/Hermosillo", "CMX": "America/Mexico_City",
            "JAL": "America/Mexico_City", "NLE": "America/Monterrey", "ROO": "America/Cancun",
        ],
        "BR": [
            "SP": "America/Sao_Paulo", "RJ": "America/Sao_Paulo", "MG": "America/Sao_Paulo",
            "AM": "America/Manaus", "BA": "America/Bahia", "PE": "America/Recife",
        ],
    ]
}

/// Where a customer lives, as far as their address says: enough to find a time zone.
package struct CustomerRegion: Sendable, Hashable {
    /// ISO 3166-1 alpha-2 country code ("US").
    package var countryCode: String
    /// The state or province code as the platform writes it ("OR", "QC"); nil when absent.
    package var provinceCode: String?

    /// A region from a country code and, optionally, a province code.
    package init(countryCode: String, provinceCode: String? = nil) {
        self.countryCode = countryCode
        self.provinceCode = provinceCode
    }
}

import Foundation

/// How often and when marketing may reach a customer, across every flow (the config file's
/// `frequency` and `quiet_hours` objects; docs/decisions/frequency-and-quiet-hours.md). Both are
/// off unless configured, so a configuration without them sends as before.
package struct ContactSettings: Sendable {
    /// The frequency cap on marketing email per customer (`frequency.marketing`); nil: no cap.
    package var frequency: FrequencyCap?
    /// The hours of the customer's own day in which nothing is sent (`quiet_hours`); nil: none.
    package var quietHours: QuietHours?

    /// No cap and no quiet hours.
    package init(frequency: FrequencyCap? = nil, quietHours: QuietHours? = nil) {
        self.frequency = frequency
        self.quietHours = quietHours
    }

    /// Reads `frequency` (`{"marketing": {"max": 3, "window_days": 7}}`) and `quiet_hours`
    /// (`{"start": "21:00", "end": "08:00", "shop_time_zone": "America/New_York"}`) from the config
    /// file's root. Throws `InputError` naming the field: an unknown key, a `max` outside 1 to
    /// 1000, `window_days` outside 1 to 90, a time that is not `HH:MM`, equal start and end, a zone
    /// the system does not know.
    package static func load(_ root: JSONObjectReader) throws(InputError) -> ContactSettings {
        var settings = ContactSettings()
        if let frequency = try root.optionalObject("frequency") {
            try Configuration.refuseUnknownKeys(frequency, allowed: ["marketing"])
            if let marketing = try frequency.optionalObject("marketing") {
                try Configuration.refuseUnknownKeys(marketing, allowed: ["max", "window_days"])
                let maximum = try marketing.int("max")
                guard (1...1000).contains(maximum) else {
                    throw InputError(
                        .invalidField, path: marketing.path(of: "max"),
                        reason: "\(maximum) is not 1 to 1000 messages (leave `frequency` out for no cap)")
                }
                let days = try marketing.int("window_days")
                guard (1...FrequencyCap.longestWindowDays).contains(days) else {
                    throw InputError(
                        .invalidField, path: marketing.path(of: "window_days"),
                        reason: "\(days) is not 1 to \(FrequencyCap.longestWindowDays) days")
                }
                settings.frequency = FrequencyCap(maximum: maximum, windowDays: days)
            }
        }
        if let quiet = try root.optionalObject("quiet_hours") {
            try Configuration.refuseUnknownKeys(quiet, allowed: ["start", "end", "shop_time_zone"])
            func minutes(_ key: String) throws(InputError) -> Int {
                let text = try quiet.string(key)
                guard let value = QuietHours.minutes(of: text) else {
                    throw InputError(
                        .invalidField, path: quiet.path(of: key), reason: "'\(text.prefix(20))' is not a time HH:MM")
                }
                return value
            }
            let start = try minutes("start")
            let end = try minutes("end")
            guard start != end else {
                throw InputError(
                    .invalidField, path: quiet.path(of: "end"),
                    reason: "equals start; leave `quiet_hours` out for no quiet hours")
            }
            var zone = TimeZone(identifier: "UTC")!
            if let name = try quiet.optionalString("shop_time_zone") {
                guard let known = TimeZone(identifier: name) else {
                    throw InputError(
                        .invalidField, path: quiet.path(of: "shop_time_zone"),
                        reason: "'\(name.prefix(60))' is not an IANA time zone such as America/New_York")
                }
                zone = known
            }
            settings.quietHours = QuietHours(startMinute: start, endMinute: end, shopTimeZone: zone)
        }
        return settings
    }
}

import Foundation

/// At most `maximum` marketing messages to one customer in any `windowDays` consecutive UTC days,
/// whichever flows send them (docs/decisions/frequency-and-quiet-hours.md). Messages are counted
/// per customer per UTC day of their send time in the state store's windowed counters; a window
/// is a sliding run of days, so "3 in 7 days" holds for every 7 days, not per calendar week.
/// Transactional messages are neither counted nor capped. Pure: the pipeline reads the counts.
package struct FrequencyCap: Sendable, Hashable {
    /// The most marketing messages in any window (`frequency.marketing.max`).
    package var maximum: Int
    /// The window's length in days (`frequency.marketing.window_days`).
    package var windowDays: Int

    /// The longest window the configuration accepts: a check reads `2 * windowDays - 1` counters.
    package static let longestWindowDays = 90

    /// A cap of `maximum` messages in `windowDays` days.
    package init(maximum: Int, windowDays: Int) {
        precondition(maximum > 0 && windowDays > 0, "a frequency cap has a positive maximum and window")
        self.maximum = maximum
        self.windowDays = windowDays
    }

    /// The counter of a customer's marketing messages: `frequency:marketing:<customer key>`, where
    /// the key is the platform's customer id or a guest's address hash (`guest:…`), never an address.
    package static func counterKey(customerKey: String) -> String { "frequency:marketing:\(customerKey)" }

    /// The UTC days whose counters decide a message sent at `sendAt`, oldest first: the
    /// `windowDays - 1` before its day, its day (at index `windowDays - 1`), and the
    /// `windowDays - 1` after (messages already scheduled for later count in the windows that
    /// hold this one too).
    package func days(around sendAt: Date) -> [CounterWindow] {
        let day = CounterWindow.day(containing: sendAt)
        return (-(windowDays - 1)...(windowDays - 1)).map {
            CounterWindow(containing: day.start.addingTimeInterval(TimeInterval($0) * 86_400), length: 86_400)
        }
    }

    /// The highest the send day's counter may reach, given the counts of `days(around:)` (same
    /// order): `maximum` less the most any window holding the send day has on its other days.
    /// The message fits when the send day's count is below it; the hand-over's increment uses it
    /// as the store's atomic cap, so two instances cannot both take the last slot of that day.
    package func dayCap(counts: [Int64]) -> Int64 {
        precondition(counts.count == 2 * windowDays - 1, "one count per day of days(around:)")
        let sendDay = windowDays - 1
        var busiest: Int64 = 0
        for start in 0...sendDay {
            var others: Int64 = 0
            for index in start..<(start + windowDays) where index != sendDay { others += counts[index] }
            busiest = max(busiest, others)
        }
        return Int64(maximum) - busiest
    }

    /// The verdict of a customer at the cap: `frequency_cap`, naming the cap and what was counted.
    package func verdict(counted: Int64) -> GuardVerdict {
        GuardVerdict(
            .frequencyCap,
            "\(counted) marketing email\(counted == 1 ? "" : "s") already counted in a \(windowDays)-day window; "
                + "the cap is \(maximum)")
    }
}

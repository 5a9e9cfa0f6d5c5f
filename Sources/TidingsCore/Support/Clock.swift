import Foundation

/// Where the pipeline reads "now" from. Guards, send times and audit records all use it, so a
/// replay can run an old event at the moment it would have been handled.
package protocol TimeSource: Sendable {
    /// The current instant.
    var now: Date { get }
}

/// The machine's wall clock.
package struct SystemClock: TimeSource {
    /// Creates the wall clock.
    package init() {}
    /// `Date()`, read anew on every access.
    package var now: Date { Date() }
}

/// A clock that always answers the same instant: replays and tests.
package struct FixedClock: TimeSource {
    /// The instant this clock always answers.
    package let now: Date
    /// Creates a clock stopped at `now`.
    package init(_ now: Date) { self.now = now }
}

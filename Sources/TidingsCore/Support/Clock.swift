import Foundation

/// Where the pipeline reads "now" from. Guards, send times and audit records all use it, so a
/// replay can run an old event at the moment it would have been handled.
public protocol TimeSource: Sendable {
    /// The current instant.
    var now: Date { get }
}

/// The machine's wall clock.
public struct SystemClock: TimeSource {
    /// Creates the wall clock.
    public init() {}
    /// `Date()`, read anew on every access.
    public var now: Date { Date() }
}

/// A clock that always answers the same instant: replays and tests.
public struct FixedClock: TimeSource {
    /// The instant this clock always answers.
    public let now: Date
    /// Creates a clock stopped at `now`.
    public init(_ now: Date) { self.now = now }
}

import Foundation

/// Where the pipeline reads "now" from. Guards, send times and audit records all use it, so a
/// replay can run an old event at the moment it would have been handled.
public protocol Clock: Sendable {
    /// The current instant.
    var now: Date { get }
}

/// The machine's wall clock.
public struct SystemClock: Clock {
    public init() {}
    public var now: Date { Date() }
}

/// A clock that always answers the same instant: replays and tests.
public struct FixedClock: Clock {
    public let now: Date
    public init(_ now: Date) { self.now = now }
}

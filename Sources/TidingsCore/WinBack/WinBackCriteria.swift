import Foundation

/// Which lapsed customers a win-back scan writes to. Every bound is configurable (the scheduled
/// event's `criteria`, see `WinBackCriteria.init(json:)`); the defaults aim at customers who are
/// slipping away but still worth something.
package struct WinBackCriteria: Sendable, Hashable {
    /// Lowest P(alive) still worth writing to (below: gone for good).
    package var minimumProbabilityAlive: Double = 0.05
    /// Highest P(alive) that counts as lapsed (above: still buying, leave them be).
    package var maximumProbabilityAlive: Double = 0.7
    /// Least CLV over the horizon, in the shop's currency.
    package var minimumCLV: Double = 20
    /// The time since the last purchase must exceed this many of the customer's usual gaps
    /// (a one-time buyer's gap is `RecencyFrequencyRules.defaultGap`).
    package var lapseFactor: Double = 1.5
    /// Skip customers written to by win-back within this many days (from the audit).
    package var quietDays: Int = 60
    /// Horizon of expected purchases and CLV, in weeks.
    package var horizonWeeks: Double = 52
    /// Stop selecting after this many customers; nil for no cap.
    package var maximumSelected: Int?

    /// The defaults.
    package init() {}

    /// Criteria from a JSON object (`schedule.win_back`'s or the Scheduler event's `criteria`):
    /// keys `p_alive_min`, `p_alive_max`, `min_clv`, `lapse_factor`, `quiet_days`, `horizon_weeks`,
    /// `max_selected`; absent keys keep their defaults. Throws `InputError` naming the key.
    package init(json: JSONValue?, path: String) throws {
        self.init()
        guard let json else { return }
        guard case .object(let members) = json else {
            throw InputError(.invalidField, path: path, reason: "criteria must be an object")
        }
        func number(_ key: String, in range: ClosedRange<Double>) throws -> Double? {
            guard let value = members[key] else { return nil }
            let double: Double?
            switch value {
            case .int(let number): double = Double(number)
            case .double(let number): double = number
            default: double = nil
            }
            guard let double, range.contains(double) else {
                throw InputError(
                    .invalidField, path: "\(path).\(key)",
                    reason: "must be a number from \(range.lowerBound) to \(range.upperBound)")
            }
            return double
        }
        if let value = try number("p_alive_min", in: 0...1) { minimumProbabilityAlive = value }
        if let value = try number("p_alive_max", in: 0...1) { maximumProbabilityAlive = value }
        if let value = try number("min_clv", in: 0...1e9) { minimumCLV = value }
        if let value = try number("lapse_factor", in: 0...100) { lapseFactor = value }
        if let value = try number("quiet_days", in: 0...3650) { quietDays = Int(value) }
        if let value = try number("horizon_weeks", in: 1...520) { horizonWeeks = value }
        if let value = try number("max_selected", in: 0...1e9) { maximumSelected = Int(value) }
        guard minimumProbabilityAlive <= maximumProbabilityAlive else {
            throw InputError(.invalidField, path: "\(path).p_alive_min", reason: "must not exceed p_alive_max")
        }
    }
}

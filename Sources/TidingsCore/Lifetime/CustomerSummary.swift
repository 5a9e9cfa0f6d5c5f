/// One customer's purchase history reduced to what the lifetime models read, in one time unit
/// (weeks throughout Tidings, as in the CDNOW literature).
///
/// `frequency` counts repeat purchases (purchase periods after the first), `recency` is the time
/// of the last purchase since the first, `age` the time since the first purchase (T).
/// `monetary` is the mean value of the repeat purchases, or nil when unknown or when there are none.
package struct CustomerSummary: Sendable, Hashable {
    /// The customer's id, as the source names it.
    package var id: String
    /// Repeat purchases, x ≥ 0.
    package var frequency: Double
    /// Time of the last purchase since the first, t_x; 0 when there are no repeats.
    package var recency: Double
    /// Time since the first purchase, T ≥ recency.
    package var age: Double
    /// Mean repeat order value, z̄; nil when unknown.
    package var monetary: Double?

    /// Creates a summary; callers validate with `CustomerSummaryCSV` or `validated()`.
    package init(id: String, frequency: Double, recency: Double, age: Double, monetary: Double? = nil) {
        self.id = id
        self.frequency = frequency
        self.recency = recency
        self.age = age
        self.monetary = monetary
    }

    /// Why the summary cannot be modelled, or nil when it can: the values must be finite,
    /// frequency a whole number ≥ 0, 0 ≤ recency ≤ age, recency 0 without repeats, monetary ≥ 0.
    package var problem: String? {
        guard frequency.isFinite, recency.isFinite, age.isFinite else { return "values must be finite numbers" }
        if frequency < 0 || frequency.rounded() != frequency { return "frequency must be a whole number ≥ 0" }
        if recency < 0 { return "recency must be ≥ 0" }
        // CSV summaries are rounded to two decimals, so allow a hair of slack.
        if recency > age + 1e-6 { return "recency \(recency) exceeds T \(age)" }
        if frequency == 0 && recency != 0 { return "recency must be 0 when frequency is 0" }
        if let monetary, !(monetary.isFinite && monetary >= 0) { return "monetary must be a number ≥ 0" }
        return nil
    }
}

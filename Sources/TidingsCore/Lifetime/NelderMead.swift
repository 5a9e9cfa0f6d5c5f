/// Minimizes a function of a few variables by the Nelder-Mead simplex method (standard
/// coefficients: reflection 1, expansion 2, contraction ½, shrink ½). No derivatives needed, which
/// suits likelihoods with log-gamma terms. `restarts` re-runs from the best point with a fresh
/// simplex, the usual cure for the method stalling on a ridge.
package struct NelderMead: Sendable {
    /// Stop when the simplex's function values differ by less than this.
    package var tolerance = 1e-12
    /// Iterations allowed per run.
    package var maxIterations = 20_000
    /// Fresh simplexes around the best point after the first run; a restart that does not
    /// improve the best value by more than `tolerance` ends them.
    package var restarts = 4
    /// A run ends when its best value has not improved by more than `tolerance` (relative) in
    /// this many iterations. A likelihood summed over many customers is noisy at the last digits
    /// where parameters run large (log-gamma differences of big numbers cancel), so the spread of
    /// the simplex can stay above `tolerance` for ever; without this the run used every iteration.
    package var stallIterations = 500
    /// Coordinates beyond ±`bound` are outside the domain (the function is not asked there). A
    /// likelihood whose maximum lies at infinity (data that does not pin a parameter down) then
    /// ends against the bound instead of walking outward for every allowed iteration.
    package var bound: Double?

    /// Creates a minimizer with the default settings.
    package init() {}

    /// The result of a minimization.
    package struct Minimum: Sendable {
        /// The minimizing point.
        package var point: [Double]
        /// The function's value there.
        package var value: Double
        /// How many times the function was evaluated (outside `bound` not counted).
        package var evaluations: Int
        /// Whether a coordinate ended within 1e-3 of `bound`: no minimum was found inside it.
        package var isAtBound: Bool
    }

    /// Whether going from `before` to `after` is more than `tolerance` (relative) lower.
    private func improves(_ after: Double, on before: Double) -> Bool {
        before - after > tolerance * (abs(after) + 1e-300)
    }

    /// The minimizing point and its value. `f` may return `.infinity` (or NaN, treated as
    /// infinity) for points outside its domain.
    package func minimize(_ start: [Double], step: Double = 0.5, _ f: ([Double]) -> Double) -> Minimum {
        var evaluations = 0
        func value(_ x: [Double]) -> Double {
            if let bound, x.contains(where: { abs($0) > bound }) { return .infinity }
            evaluations += 1
            let y = f(x)
            return y.isNaN ? .infinity : y
        }
        var best = (point: start, value: value(start))
        for attempt in 0...restarts {
            let run = oneRun(from: best.point, step: step, value)
            let improved = improves(run.value, on: best.value)
            if run.value <= best.value { best = run }
            if attempt > 0, !improved { break }
        }
        let atBound = bound.map { bound in best.point.contains { abs($0) >= bound - 1e-3 } } ?? false
        return Minimum(point: best.point, value: best.value, evaluations: evaluations, isAtBound: atBound)
    }

    private func oneRun(from start: [Double], step: Double, _ f: ([Double]) -> Double) -> (
        point: [Double], value: Double
    ) {
        let n = start.count
        var simplex = [start]
        for i in 0..<n {
            var vertex = start
            vertex[i] += step
            simplex.append(vertex)
        }
        var values = simplex.map(f)
        var (stalledSince, bestSoFar) = (0, Double.infinity)
        for iteration in 0..<maxIterations {
            let order = values.indices.sorted { values[$0] < values[$1] }
            simplex = order.map { simplex[$0] }
            values = order.map { values[$0] }
            if abs(values[n] - values[0]) <= tolerance * (abs(values[0]) + 1e-300) { break }
            if improves(values[0], on: bestSoFar) {
                (stalledSince, bestSoFar) = (iteration, values[0])
            } else if iteration - stalledSince >= stallIterations {
                break
            }
            var centroid = [Double](repeating: 0, count: n)
            for vertex in simplex[0..<n] {
                for i in 0..<n { centroid[i] += vertex[i] / Double(n) }
            }
            func along(_ t: Double) -> [Double] {
                (0..<n).map { centroid[$0] + t * (simplex[n][$0] - centroid[$0]) }
            }
            let reflected = along(-1)
            let reflectedValue = f(reflected)
            if reflectedValue < values[0] {
                let expanded = along(-2)
                let expandedValue = f(expanded)
                if expandedValue < reflectedValue {
                    (simplex[n], values[n]) = (expanded, expandedValue)
                } else {
                    (simplex[n], values[n]) = (reflected, reflectedValue)
                }
            } else if reflectedValue < values[n - 1] {
                (simplex[n], values[n]) = (reflected, reflectedValue)
            } else {
                let outside = reflectedValue < values[n]
                let contracted = along(outside ? -0.5 : 0.5)
                let contractedValue = f(contracted)
                if contractedValue < (outside ? reflectedValue : values[n]) {
                    (simplex[n], values[n]) = (contracted, contractedValue)
                } else {
                    for j in 1...n {
                        simplex[j] = (0..<n).map { simplex[0][$0] + 0.5 * (simplex[j][$0] - simplex[0][$0]) }
                        values[j] = f(simplex[j])
                    }
                }
            }
        }
        let bestIndex = values.indices.min { values[$0] < values[$1] }!
        return (simplex[bestIndex], values[bestIndex])
    }
}

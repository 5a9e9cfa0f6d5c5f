import Dispatch

/// Where sign-ins derive their slow hashes: one at a time on a thread of its own, never on the
/// concurrency pool the server's handlers run on, so a burst of sign-in attempts (a password
/// spray) costs at most one core and cannot stall the webhook receiver. Attempts beyond
/// `capacity` waiting are turned away at once.
actor PasswordCheckLane {
    /// Attempts that may wait for the lane; more are answered "busy".
    let capacity: Int
    private var waiting = 0
    private let queue = DispatchQueue(label: "tidings.dashboard.password-check")

    init(capacity: Int = 16) {
        self.capacity = capacity
    }

    /// Whether `password` matches `hash`; nil when too many checks already wait.
    func matches(_ password: String, _ hash: PasswordHash) async -> Bool? {
        guard waiting < capacity else { return nil }
        waiting += 1
        defer { waiting -= 1 }
        return await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: hash.matches(password)) }
        }
    }
}

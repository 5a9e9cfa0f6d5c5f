import Crypto
import Foundation
import TidingsCore

/// The dashboard's sessions, kept in this process only (a restart signs everyone out), and the
/// per-name count of wrong passwords. A session id and its CSRF token are 256 random bits each;
/// a visitor who has not signed in yet gets a session too, so the sign-in form has a token.
/// docs/decisions/serve-dashboard.md.
actor DashboardSessions {
    struct Session: Sendable {
        var id: String
        var csrfToken: String
        /// The signed-in reviewer; nil before sign-in.
        var reviewer: String?
        var created: Date
        var lastSeen: Date
        /// A line for the next page ("Approved …"), shown once.
        var notice: String?
    }

    private struct Failures {
        var count: Int
        var lockedUntil: Date?
    }

    /// More sessions than this and the oldest are dropped, so anonymous visits cannot fill memory.
    static let capacity = 10_000

    private let settings: DashboardSettings
    private let clock: any TimeSource
    private var sessions: [String: Session] = [:]
    private var failures: [String: Failures] = [:]

    init(settings: DashboardSettings, clock: any TimeSource) {
        self.settings = settings
        self.clock = clock
    }

    /// A new random 256-bit value, hex.
    static func token() -> String {
        Hex.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// The live session `id` names, touched; nil when there is none or it expired (then it is gone).
    func session(_ id: String?) -> Session? {
        guard let id, var session = sessions[id] else { return nil }
        let now = clock.now
        let idle = now.timeIntervalSince(session.lastSeen)
        let age = now.timeIntervalSince(session.created)
        guard idle < settings.idleTimeout, age < settings.absoluteTimeout else {
            sessions[id] = nil
            return nil
        }
        session.lastSeen = now
        sessions[id] = session
        return session
    }

    /// A session for a visitor who has not signed in.
    func startAnonymous() -> Session {
        insert(reviewer: nil)
    }

    /// Ends `previous` and starts a signed-in session under a new id (no fixation).
    func signIn(_ reviewer: String, replacing previous: String?) -> Session {
        if let previous { sessions[previous] = nil }
        return insert(reviewer: reviewer)
    }

    /// Ends the session.
    func end(_ id: String) {
        sessions[id] = nil
    }

    /// Sets the notice the next page shows.
    func setNotice(_ notice: String, for id: String) {
        sessions[id]?.notice = notice
    }

    /// The pending notice, cleared.
    func takeNotice(for id: String) -> String? {
        let notice = sessions[id]?.notice
        sessions[id]?.notice = nil
        return notice
    }

    /// Until when `name` is locked; nil when it may try.
    func lockedUntil(_ name: String) -> Date? {
        guard let until = failures[name]?.lockedUntil else { return nil }
        if until <= clock.now {
            failures[name] = nil
            return nil
        }
        return until
    }

    /// Counts a wrong password for `name`; the `lockoutFailures`-th in a row locks it.
    func failed(_ name: String) {
        var entry = failures[name] ?? Failures(count: 0, lockedUntil: nil)
        entry.count += 1
        if entry.count >= settings.lockoutFailures {
            entry = Failures(count: 0, lockedUntil: clock.now.addingTimeInterval(settings.lockoutDuration))
        }
        // Names typed by anyone: keep the table bounded.
        if failures.count >= Self.capacity, failures[name] == nil {
            failures = failures.filter { $0.value.lockedUntil != nil }
        }
        failures[name] = entry
    }

    /// Forgets `name`'s wrong passwords after a right one.
    func succeeded(_ name: String) {
        failures[name] = nil
    }

    private func insert(reviewer: String?) -> Session {
        let now = clock.now
        if sessions.count >= Self.capacity {
            for (id, session) in sessions
            where now.timeIntervalSince(session.lastSeen) >= settings.idleTimeout
                || now.timeIntervalSince(session.created) >= settings.absoluteTimeout
            {
                sessions[id] = nil
            }
            if sessions.count >= Self.capacity, let oldest = sessions.values.min(by: { $0.lastSeen < $1.lastSeen }) {
                sessions[oldest.id] = nil
            }
        }
        let session = Session(
            id: Self.token(), csrfToken: Self.token(), reviewer: reviewer, created: now, lastSeen: now, notice: nil)
        sessions[session.id] = session
        return session
    }
}

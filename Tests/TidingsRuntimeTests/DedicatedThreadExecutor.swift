import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A task executor with one thread of its own: a test that burns a minute of CPU in async code
/// (a replay of every recorded event) runs there, with `withTaskExecutorPreference`, instead of
/// holding the few threads of the shared pool that other tests' loopback servers and deadlines
/// wait for. On Linux the thread runs under SCHED_IDLE, so on a busy machine the
/// tests that time things are served first (`idle: false` keeps the normal priority, for a test that
/// times itself). The thread ends with `shutdown()`.
final class DedicatedThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopped = false
    private let idle: Bool

    init(name: String, idle: Bool = true) {
        self.idle = idle
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: UnownedJob) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Lets the thread finish once its queue is empty.
    func shutdown() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        #if canImport(Glibc)
            if idle {
                var parameters = sched_param()
                parameters.sched_priority = 0
                // SCHED_IDLE is 5 on Linux (sched.h defines it only under _GNU_SOURCE).
                _ = pthread_setschedparam(pthread_self(), 5, &parameters)
            }
        #endif
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

/// Runs `body` with a `DedicatedThreadExecutor` of its own as the task executor preference.
func onOwnThread<T: Sendable>(_ name: String, _ body: () async throws -> T) async throws -> T {
    let executor = DedicatedThreadExecutor(name: name)
    defer { executor.shutdown() }
    return try await withTaskExecutorPreference(executor) { try await body() }
}

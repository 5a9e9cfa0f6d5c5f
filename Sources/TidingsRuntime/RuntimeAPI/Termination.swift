import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// SIGTERM for the Runtime API loop: the handler only sets a flag and writes a byte to a pipe
/// (both async-signal-safe). The loop finishes the invocation in hand, then exits 0; while it
/// waits for the next invocation, the pipe wakes its `poll`, whichever thread took the signal.
package enum Termination {
    private static let requested = Atomic<Bool>(false)
    private static let pipeWriteEnd = Atomic<Int32>(-1)

    /// Whether SIGTERM has arrived since `install()`.
    package static var isRequested: Bool { requested.load(ordering: .acquiring) }

    /// Installs the handler and returns the pipe's read end for `HTTPSocket.readMessage(wake:)`.
    /// Call once, at start-up.
    package static func install() -> Int32? {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return nil }
        _ = fcntl(ends[1], F_SETFL, fcntl(ends[1], F_GETFL) | O_NONBLOCK)
        // Touch both atomics before a signal can, so the handler never runs a lazy initializer.
        requested.store(false, ordering: .releasing)
        pipeWriteEnd.store(ends[1], ordering: .releasing)
        var action = sigaction()
        #if canImport(Darwin)
            action.__sigaction_u.__sa_handler = Termination.handle
        #else
            action.__sigaction_handler.sa_handler = Termination.handle
        #endif
        // SA_RESTART: system calls of the invocation in hand (file writes, reads) go on undisturbed.
        action.sa_flags = SA_RESTART
        sigemptyset(&action.sa_mask)
        sigaction(SIGTERM, &action, nil)
        return ends[0]
    }

    private static let handle: @convention(c) (Int32) -> Void = { _ in
        Termination.requested.store(true, ordering: .releasing)
        var byte: UInt8 = 1
        _ = write(Termination.pipeWriteEnd.load(ordering: .acquiring), &byte, 1)
    }
}

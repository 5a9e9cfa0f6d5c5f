import CCurl
import Foundation
import Synchronization
import TidingsCore

/// One libcurl multi handle and the thread that drives it. Senders hand it commands through a
/// locked inbox and wake it with `curl_multi_wakeup`; everything else (adding and removing easy
/// handles, callbacks, finishing transfers) happens on the loop's thread, so libcurl's handles
/// are never used from two threads at once.
final class CurlLoop: @unchecked Sendable {
    /// What a sender asks of the loop.
    enum Command {
        /// Start the transfer.
        case add(CurlTransfer)
        /// Stop the transfer if it is running; it then fails with `.cancelled`.
        case cancel(CurlTransfer)
        /// Leave the loop and free the handles (the transport is gone).
        case shutDown
    }

    private let multi: UnsafeMutableRawPointer
    private let share: UnsafeMutableRawPointer
    private let inbox = Mutex<[Command]>([])
    /// Transfers in the multi handle, by easy handle. The loop thread's alone.
    private var running: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    /// Creates the multi handle and the share (DNS and TLS sessions) and starts the thread.
    init(name: String) {
        guard let multi = ccurl_multi_init(), let share = ccurl_share_init() else {
            preconditionFailure("libcurl could not create a multi or share handle (out of memory)")
        }
        self.multi = multi
        self.share = share
        // The multi handle already pools connections and caches DNS for its transfers; the share
        // adds the TLS session cache, which is per easy handle otherwise, so a new connection to
        // the same upstream resumes its TLS session. Only this thread uses it: no lock callbacks.
        ccurl_share_setopt_long(share, CURLSHOPT_SHARE, Int(CURL_LOCK_DATA_SSL_SESSION.rawValue))
        ccurl_share_setopt_long(share, CURLSHOPT_SHARE, Int(CURL_LOCK_DATA_DNS.rawValue))
        let thread = Thread { [self] in run() }
        thread.name = "curl \(name)"
        thread.start()
    }

    /// Hands a command to the loop thread and wakes it. The wakeup happens under the lock, so the
    /// loop cannot drain a `.shutDown` and free the multi handle between the append and the wakeup.
    func submit(_ command: Command) {
        inbox.withLock { inbox in
            inbox.append(command)
            ccurl_multi_wakeup(multi)
        }
    }

    /// Stops the loop once the commands before it are done.
    func shutDown() {
        submit(.shutDown)
    }

    private func run() {
        var active: Int32 = 0
        var queued: Int32 = 0
        while true {
            let commands = inbox.withLock { inbox in
                defer { inbox.removeAll(keepingCapacity: true) }
                return inbox
            }
            for command in commands {
                switch command {
                case .add(let transfer): add(transfer)
                case .cancel(let transfer): cancel(transfer)
                case .shutDown: return close()
                }
            }
            ccurl_multi_perform(multi, &active)
            while let message = ccurl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let result = ccurl_message_result(message)
                guard let transfer = remove(easy) else { continue }
                transfer.finish(result)
                transfer.close()
            }
            // Sleeps until a socket is ready, libcurl's next timeout, a wakeup, or 1 s.
            ccurl_multi_poll(multi, 1000)
        }
    }

    private func add(_ transfer: CurlTransfer) {
        if transfer.cancelled.load(ordering: .sequentiallyConsistent) {
            transfer.fail(TransportError(.cancelled, host: transfer.host, detail: "cancelled before it started"))
            transfer.close()
            return
        }
        ccurl_easy_setopt_share(transfer.easy, share)
        let result = ccurl_multi_add_handle(multi, transfer.easy)
        guard result == CURLM_OK else {
            ccurl_easy_setopt_share(transfer.easy, nil)
            let message = String(cString: ccurl_multi_strerror(result))
            transfer.fail(TransportError(.other, host: transfer.host, detail: "curl_multi_add_handle: \(message)"))
            transfer.close()
            return
        }
        running[transfer.easy] = transfer
    }

    private func cancel(_ transfer: CurlTransfer) {
        // A transfer that already finished is gone from `running`; one not yet added sees its flag.
        guard remove(transfer.easy) != nil else { return }
        transfer.fail(TransportError(.cancelled, host: transfer.host, detail: "the awaiting task was cancelled"))
        transfer.close()
    }

    /// Takes the transfer out of the multi handle and detaches it from the share.
    private func remove(_ easy: UnsafeMutableRawPointer) -> CurlTransfer? {
        guard let transfer = running.removeValue(forKey: easy) else { return nil }
        ccurl_multi_remove_handle(multi, easy)
        ccurl_easy_setopt_share(easy, nil)
        return transfer
    }

    private func close() {
        for easy in Array(running.keys) {
            guard let transfer = remove(easy) else { continue }
            transfer.fail(TransportError(.cancelled, host: transfer.host, detail: "the transport was shut down"))
            transfer.close()
        }
        ccurl_multi_cleanup(multi)
        ccurl_share_cleanup(share)
    }
}

/// Why the audit log could not be written or read, with the file it concerns.
///
/// An append that throws this must be treated as a retryable failure by the caller: an email that
/// cannot be audited must not be sent.
package struct AuditError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as a stable code.
    package enum Code: String, Sendable, Hashable {
        /// A day folder (or the root) could not be created.
        case cannotCreateFolder = "cannot_create_folder"
        /// A file or folder could not be opened or listed.
        case cannotOpen = "cannot_open"
        /// A record could not be written completely.
        case cannotWrite = "cannot_write"
        /// A file could not be read.
        case cannotRead = "cannot_read"
        /// A log that had to verify did not (the benchmark checks what it wrote).
        case notVerified = "not_verified"
    }

    /// What went wrong.
    package var code: Code
    /// The file or folder concerned.
    package var path: String
    /// The operating system's explanation (`strerror`), or ours.
    package var reason: String

    /// Makes an error for `path`.
    package init(_ code: Code, path: String, reason: String) {
        self.code = code
        self.path = path
        self.reason = reason
    }

    /// One line for logs and the command line: "audit cannot_write /data/audit/...: No space left".
    package var description: String { "audit \(code.rawValue) \(path): \(reason)" }
}

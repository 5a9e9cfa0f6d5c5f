import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failed file write, with the path, the step that failed and the `errno` it failed with.
struct FileWriteError: Error, Sendable, CustomStringConvertible {
    var path: String
    var operation: String
    var errno: Int32

    /// Conditions that pass or that someone else can fix while we wait (a full disk, too many open
    /// files, an interrupted or flaky device). Permission, read-only and bad-path errors do not.
    var isRetryable: Bool {
        switch errno {
        case ENOSPC, EDQUOT, EIO, EAGAIN, EINTR, EMFILE, ENFILE, EBUSY, ENOMEM, ETIMEDOUT: return true
        default: return false
        }
    }

    var description: String { "\(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// Writes whole files so that a reader sees the old file or the new one, never a part: the bytes go
/// to a hidden temporary file in the same folder, which `rename(2)` then moves over the target.
/// Blocking I/O, meant for small files (one email, one review item).
enum AtomicFile {
    /// Writes `data` to `directory/name`, creating `directory` when missing and replacing an existing
    /// file of that name. With `sync`, the data reaches the disk (fsync) before the rename, so not even
    /// a crash leaves an empty file behind; that costs milliseconds, so it is optional.
    static func write(_ data: Data, directory: URL, name: String, sync: Bool) throws(FileWriteError) -> URL {
        let target = directory.appendingPathComponent(name)
        let temporary = directory.appendingPathComponent(".\(name).\(UUID().uuidString).tmp")

        var descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if descriptor < 0 && errno == ENOENT {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw FileWriteError(path: directory.path, operation: "create folder", errno: errnoOf(error))
            }
            descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        }
        guard descriptor >= 0 else {
            throw FileWriteError(path: temporary.path, operation: "create", errno: errno)
        }

        var failure: FileWriteError?
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = posixWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = FileWriteError(path: temporary.path, operation: "write", errno: errno)
                    return
                }
                offset += written
            }
        }
        if failure == nil && sync && fsync(descriptor) != 0 {
            failure = FileWriteError(path: temporary.path, operation: "fsync", errno: errno)
        }
        if close(descriptor) != 0 && failure == nil {
            failure = FileWriteError(path: temporary.path, operation: "close", errno: errno)
        }
        if failure == nil && rename(temporary.path, target.path) != 0 {
            failure = FileWriteError(path: target.path, operation: "rename", errno: errno)
        }
        if let failure {
            unlink(temporary.path)
            throw failure
        }
        return target
    }

    /// The POSIX error behind a Foundation error, or EIO when there is none.
    private static func errnoOf(_ error: any Error) -> Int32 {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
            underlying.domain == NSPOSIXErrorDomain
        {
            return Int32(underlying.code)
        }
        return nsError.domain == NSPOSIXErrorDomain ? Int32(nsError.code) : EIO
    }
}

/// `write(2)`, named apart from the `write` methods in scope.
private func posixWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}

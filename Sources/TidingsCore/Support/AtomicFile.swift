import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failed file write, with the path, the step that failed and the `errno` it failed with.
package struct FileWriteError: Error, Sendable, CustomStringConvertible {
    /// The file or folder the step was on.
    package var path: String
    /// The step that failed ("create", "write", "fsync", "rename", "link").
    package var operation: String
    /// The `errno` it failed with (`EEXIST` from `AtomicFile.create` when the name is taken).
    package var errno: Int32

    /// Conditions that pass or that someone else can fix while we wait (a full disk, too many open
    /// files, an interrupted or flaky device). Permission, read-only and bad-path errors do not.
    package var isRetryable: Bool {
        switch errno {
        case ENOSPC, EDQUOT, EIO, EAGAIN, EINTR, EMFILE, ENFILE, EBUSY, ENOMEM, ETIMEDOUT: return true
        default: return false
        }
    }

    package var description: String { "\(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// Writes whole files so that a reader sees the old file or the new one, never a part: the bytes go
/// to a hidden temporary file in the same folder, which `rename(2)` then moves over the target.
/// Blocking I/O, meant for small files (one email, one review item, one queued webhook).
package enum AtomicFile {
    /// Writes `data` to `directory/name`, creating `directory` when missing and replacing an existing
    /// file of that name. With `sync`, the data reaches the disk (fsync) before the rename, so not even
    /// a crash leaves an empty file behind; that costs milliseconds, so it is optional.
    static func write(_ data: Data, directory: URL, name: String, sync: Bool) throws(FileWriteError) -> URL {
        let target = directory.appendingPathComponent(name)
        let temporary = try writeTemporary(data, directory: directory, name: name, sync: sync)
        if rename(temporary.path, target.path) != 0 {
            let failure = FileWriteError(path: target.path, operation: "rename", errno: errno)
            unlink(temporary.path)
            throw failure
        }
        return target
    }

    /// Writes `data` to `directory/name` only if no file has that name, durably: the bytes are
    /// fsynced in a temporary file, which `link(2)` then puts under the name (atomic, and refused
    /// with `EEXIST` when the name is taken, where `rename(2)` would replace), and the folder is
    /// fsynced so that the new name survives a crash. When this returns, the file is on disk.
    /// Throws `FileWriteError` with `errno == EEXIST` when the name was taken.
    package static func create(_ data: Data, directory: URL, name: String) throws(FileWriteError) -> URL {
        let target = directory.appendingPathComponent(name)
        let temporary = try writeTemporary(data, directory: directory, name: name, sync: true)
        defer { unlink(temporary.path) }
        guard link(temporary.path, target.path) == 0 else {
            throw FileWriteError(path: target.path, operation: "link", errno: errno)
        }
        try syncDirectory(directory)
        return target
    }

    /// fsyncs a folder, so that names created or removed in it survive a crash.
    package static func syncDirectory(_ directory: URL) throws(FileWriteError) {
        let descriptor = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileWriteError(path: directory.path, operation: "open", errno: errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw FileWriteError(path: directory.path, operation: "fsync", errno: errno)
        }
    }

    /// Writes `data` to a new hidden temporary file beside `directory/name` (creating `directory`
    /// when missing), fsynced when `sync`; removed again when a step fails.
    private static func writeTemporary(_ data: Data, directory: URL, name: String, sync: Bool) throws(FileWriteError)
        -> URL
    {
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
        if let failure {
            unlink(temporary.path)
            throw failure
        }
        return temporary
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

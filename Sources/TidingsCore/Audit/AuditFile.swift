import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The few POSIX file operations the audit log needs, with errors that name the file.
///
/// POSIX rather than `FileHandle` because the log's guarantees are POSIX ones: `O_APPEND` so each
/// record lands whole at the end, one `write(2)` per record, `ftruncate` to undo a partial write,
/// and `mmap` so the verifier reads a million records without copying them.
enum AuditFile {
    /// The text of the current `errno`.
    static var lastError: String { String(cString: strerror(errno)) }

    /// Creates `path` and its parents when missing.
    static func createFolder(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw AuditError(.cannotCreateFolder, path: path, reason: "\(error)")
        }
    }

    /// Opens `path` for appending, creating it when missing.
    static func openForAppending(_ path: String) throws -> Int32 {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw AuditError(.cannotOpen, path: path, reason: lastError) }
        return descriptor
    }

    /// Opens `path` for writing at chosen offsets (`pwrite`), creating it when missing.
    static func openForWriting(_ path: String) throws -> Int32 {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw AuditError(.cannotOpen, path: path, reason: lastError) }
        return descriptor
    }

    /// The size of an open file.
    static func size(of descriptor: Int32, path: String) throws -> Int {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw AuditError(.cannotRead, path: path, reason: lastError)
        }
        return Int(status.st_size)
    }

    /// The size of the file at `path`, or nil when it does not exist or is not a regular file.
    static func size(atPath path: String) -> Int? {
        var status = stat()
        guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(status.st_size)
    }

    /// Writes all of `bytes`. One `write(2)` in practice; the loop only covers signals and the
    /// short writes a full disk can cause, which the caller then undoes.
    static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw AuditError(.cannotWrite, path: path, reason: lastError)
                }
                offset += written
            }
        }
    }

    /// Reads `count` bytes at `offset` of `path` (fewer when the file is shorter).
    static func read(_ path: String, offset: Int, count: Int) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw AuditError(.cannotOpen, path: path, reason: lastError) }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: count)
        let filled = try bytes.withUnsafeMutableBytes { buffer in
            var filled = 0
            while filled < count {
                let got = pread(
                    descriptor, buffer.baseAddress! + filled, count - filled, off_t(offset + filled))
                if got < 0 {
                    if errno == EINTR { continue }
                    throw AuditError(.cannotRead, path: path, reason: lastError)
                }
                if got == 0 { break }
                filled += got
            }
            return filled
        }
        bytes.removeLast(count - filled)
        return bytes
    }

    /// Calls `body` with the whole file mapped into memory (an empty buffer for an empty file).
    static func withMappedFile<Result>(
        _ path: String, _ body: (UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw AuditError(.cannotOpen, path: path, reason: lastError) }
        defer { close(descriptor) }
        let count = try size(of: descriptor, path: path)
        if count == 0 { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        guard let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED
        else {
            throw AuditError(.cannotRead, path: path, reason: lastError)
        }
        defer { munmap(address, count) }
        return try body(UnsafeRawBufferPointer(start: address, count: count))
    }

    /// The index of the first occurrence of `needle` at or after `start`, or nil (memchr on its
    /// first byte, then memcmp).
    static func firstOccurrence(of needle: [UInt8], in buffer: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let first = needle.first, let base = buffer.baseAddress else { return nil }
        var position = start
        while position + needle.count <= buffer.count,
            let found = memchr(base + position, Int32(first), buffer.count - position - needle.count + 1)
        {
            let index = UnsafeRawPointer(found) - UnsafeRawPointer(base)
            let matches = needle.withUnsafeBytes { memcmp(base + index, $0.baseAddress!, needle.count) == 0 }
            if matches { return index }
            position = index + 1
        }
        return nil
    }

    /// The offset of the next newline at or after `start`, or nil; `memchr` because the verifier
    /// looks at every byte of every file.
    static func nextNewline(in buffer: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard start < buffer.count, let base = buffer.baseAddress,
            let found = memchr(base + start, 0x0a, buffer.count - start)
        else { return nil }
        return UnsafeRawPointer(found) - base
    }

    /// The names in a folder, or an empty list when it does not exist.
    static func names(in folder: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: folder) else { return [] }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw AuditError(.cannotOpen, path: folder, reason: "\(error)")
        }
    }
}

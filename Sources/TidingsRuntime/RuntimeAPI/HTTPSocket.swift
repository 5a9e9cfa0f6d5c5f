#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failure of the connection itself (as opposed to an HTTP status): refused, reset, closed mid-message.
package struct SocketError: Error, Sendable, CustomStringConvertible {
    /// What failed ("connect 127.0.0.1:9001", "read", "closed by peer").
    package var operation: String
    /// errno when a system call failed, 0 otherwise.
    package var code: Int32

    /// An error for `operation`; `code` defaults to the current errno (0: not a system call).
    package init(_ operation: String, code: Int32 = errno) {
        self.operation = operation
        self.code = code
    }

    /// The operation and, for a system call, its strerror.
    package var description: String {
        code == 0 ? operation : "\(operation): \(String(cString: strerror(code)))"
    }
}

/// The wake-up pipe's read end signalled while waiting (SIGTERM between invocations).
package struct WokenUp: Error, Sendable {}

/// One HTTP/1.1 message as read off a socket: a request line or status line, headers with
/// lower-cased names, and a body framed by Content-Length or chunked encoding.
package struct HTTPMessage: Sendable {
    /// The first line's parts: `["GET", "/path", "HTTP/1.1"]` or `["HTTP/1.1", "202", "Accepted"]`.
    package var startLine: [String]
    /// Header names lower-cased; a repeated header keeps its last value.
    package var headers: [String: String]
    /// The body bytes.
    package var body: [UInt8]

    /// The status code of a response, 0 when the status line is not one.
    package var status: Int { startLine.count >= 2 ? Int(startLine[1]) ?? 0 : 0 }
    /// Whether the sender will close the connection after this message.
    package var closesConnection: Bool { headers["connection"]?.lowercased() == "close" }
}

/// A blocking TCP socket with a read buffer, speaking just enough HTTP/1.1 for the Lambda Runtime
/// API on both sides (the client in the handler, the loopback server in `tidings emulate` and the
/// tests). No timeouts: the Runtime API's `next` call blocks for as long as there is no work.
package final class HTTPSocket {
    /// The file descriptor; closed by `close()` or on deinit.
    package private(set) var descriptor: Int32
    private var buffer: [UInt8] = []
    private var start = 0

    /// Wraps a connected descriptor.
    package init(descriptor: Int32) {
        self.descriptor = descriptor
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close() }

    /// Connects to `host:port` (a name or a numeric address).
    package static func connect(host: String, port: UInt16) throws(SocketError) -> HTTPSocket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Darwin)
            hints.ai_socktype = SOCK_STREAM
        #else
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw SocketError("resolve \(host): \(String(cString: gai_strerror(status)))", code: 0)
        }
        defer { freeaddrinfo(list) }
        var lastError: Int32 = 0
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let address = entry {
            let descriptor = socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            if descriptor >= 0 {
                var result: Int32
                repeat {
                    result = systemConnect(descriptor, address.pointee.ai_addr, address.pointee.ai_addrlen)
                } while result < 0 && errno == EINTR
                if result == 0 { return HTTPSocket(descriptor: descriptor) }
                lastError = errno
                _ = systemClose(descriptor)
            } else {
                lastError = errno
            }
            entry = address.pointee.ai_next
        }
        throw SocketError("connect \(host):\(port)", code: lastError)
    }

    /// Closes the descriptor (idempotent).
    package func close() {
        if descriptor >= 0 {
            _ = systemClose(descriptor)
            descriptor = -1
        }
    }

    /// Writes all of `bytes`, retrying short and interrupted writes.
    package func write(_ bytes: [UInt8]) throws(SocketError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw SocketError("write")
            }
            offset += written
        }
    }

    /// Writes one HTTP/1.1 message: the start line, the headers, Content-Length and the body.
    package func writeMessage(_ startLine: String, headers: [(String, String)], body: [UInt8]) throws(SocketError) {
        var head = startLine + "\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        try write(Array(head.utf8) + body)
    }

    /// Reads one whole message. With `wake`, waits on that descriptor too and throws `WokenUp`
    /// when it becomes readable before the first byte of the message arrives.
    package func readMessage(wake: Int32? = nil) throws -> HTTPMessage {
        if let wake, start == buffer.count { try waitReadable(wake: wake) }
        let startLine = try readLine()
        guard !startLine.isEmpty else { throw SocketError("malformed HTTP message: empty start line", code: 0) }
        var headers: [String: String] = [:]
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else {
                throw SocketError("malformed HTTP header line '\(line)'", code: 0)
            }
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingSpaces()
        }
        var body: [UInt8] = []
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine.split(separator: ";").first.map(String.init) ?? "", radix: 16) else {
                    throw SocketError("malformed chunk size '\(sizeLine)'", code: 0)
                }
                if size == 0 {
                    while !(try readLine()).isEmpty {}
                    break
                }
                body += try readBytes(size)
                _ = try readLine()
            }
        } else if let length = headers["content-length"].flatMap({ Int($0) }) {
            body = try readBytes(length)
        }
        return HTTPMessage(
            startLine: startLine.split(separator: " ", maxSplits: 2).map(String.init), headers: headers, body: body)
    }

    private func waitReadable(wake: Int32) throws {
        var descriptors = [
            pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wake, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let ready = poll(&descriptors, 2, -1)
            if ready < 0 {
                if errno == EINTR { continue }
                throw SocketError("poll")
            }
            if descriptors[0].revents != 0 { return }
            if descriptors[1].revents != 0 { throw WokenUp() }
        }
    }

    private func fill() throws(SocketError) {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SocketError("read")
            }
            if count == 0 { throw SocketError("connection closed by peer", code: 0) }
            buffer += chunk[0..<count]
            return
        }
    }

    private func readLine() throws(SocketError) -> String {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var end = newline
                if end > start && buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = newline + 1
                return line
            }
            guard buffer.count - start < 64 * 1024 else { throw SocketError("HTTP line too long", code: 0) }
            try fill()
        }
    }

    private func readBytes(_ count: Int) throws(SocketError) -> [UInt8] {
        while buffer.count - start < count { try fill() }
        let bytes = Array(buffer[start..<start + count])
        start += count
        return bytes
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        var text = self
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return String(text)
    }
}

// `connect` and `close` are shadowed by the methods above.
@inline(__always)
func systemConnect(_ descriptor: Int32, _ address: UnsafePointer<sockaddr>!, _ length: socklen_t) -> Int32 {
    connect(descriptor, address, length)
}

@inline(__always)
func systemClose(_ descriptor: Int32) -> Int32 {
    close(descriptor)
}

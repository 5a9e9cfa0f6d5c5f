import Foundation

/// A transport that can write a response body straight to a file, so that a download of any size
/// costs a fixed buffer (the bulk export's JSONL). Transports without it answer whole bodies,
/// bounded by their own size limit (docs/decisions/shopify-graphql.md).
package protocol HTTPFileDownloading: HTTPTransport {
    /// Sends the request and writes a 2xx body to `file` (created or truncated). Returns the
    /// response with an empty body; a non-2xx body is returned in memory and `file` is left empty.
    func download(_ request: TransportRequest, to file: URL) async throws -> TransportResponse
}

extension ShopifyGraphQLClient: CustomerBaseStreaming {
    /// Seconds between the first polls of a bulk operation; the interval doubles up to `bulkPollCap`.
    package static let bulkPollInterval: TimeInterval = 1
    /// Longest wait between two polls.
    package static let bulkPollCap: TimeInterval = 10
    /// Most time spent waiting for one bulk operation when the invocation has no deadline (a CLI run).
    package static let bulkMaximumWait: TimeInterval = 4 * 3600

    /// The bulk query reads orders without their lines.
    package var streamsOrderLines: Bool { false }

    /// Streams the shop's customers with their orders from a bulk operation: runs
    /// `ShopifyGraphQL.bulkCustomersQuery`, polls it until COMPLETED (never past the invocation's
    /// deadline), downloads the JSONL to a temporary file and reads it line by line
    /// (`ShopifyBulkJSONL`), handing over every customer with at least one order. Memory holds one
    /// read chunk and one customer's orders. Throws `PlatformError`: final for a FAILED, CANCELED or
    /// EXPIRED operation (naming its `errorCode`), retryable for a deadline that comes first.
    package func forEachCustomerHistory(_ body: (CustomerHistory) async throws -> Void) async throws {
        guard let url = try await runBulkExport() else { return }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tidings-bulk-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        try await downloadBulkFile(url, to: file)
        try await ShopifyBulkJSONL.forEachHistory(in: file, body)
    }

    /// Starts the bulk query and polls it; returns the result's URL, nil when the operation
    /// completed with no objects (Shopify then gives no URL).
    func runBulkExport() async throws -> String? {
        let started = try await execute(
            ShopifyGraphQL.bulkRun, ["query": .string(ShopifyGraphQL.bulkCustomersQuery)],
            as: ShopifyGraphQLWire.BulkRunRoot.self)
        guard let payload = started.bulkOperationRunQuery else {
            throw bulkError("bulkOperationRunQuery answered null", retryable: false)
        }
        if let first = payload.userErrors.first {
            // OPERATION_IN_PROGRESS: another bulk query of the app runs; a later attempt can start.
            throw bulkError(
                "bulkOperationRunQuery refused: \(first.code.map { "\($0): " } ?? "")\(first.message)",
                retryable: first.code == "OPERATION_IN_PROGRESS")
        }
        guard let id = payload.bulkOperation?.id else {
            throw bulkError("bulkOperationRunQuery returned no bulkOperation", retryable: false)
        }
        let begun = clock.now
        var interval = Self.bulkPollInterval
        while true {
            let root = try await execute(
                ShopifyGraphQL.bulkPoll, ["id": .string(id)], as: ShopifyGraphQLWire.BulkPollRoot.self)
            guard let operation = root.node else {
                throw bulkError("bulk operation \(id) is not found", retryable: false)
            }
            switch operation.status {
            case "COMPLETED":
                return operation.url
            case "FAILED", "CANCELED", "CANCELING", "EXPIRED":
                let code = operation.errorCode.map { " (errorCode \($0))" } ?? ""
                throw bulkError(
                    "bulk operation \(id) ended \(operation.status)\(code) after \(operation.objectCount?.value ?? 0) objects",
                    retryable: operation.errorCode == "INTERNAL_SERVER_ERROR" || operation.errorCode == "TIMEOUT")
            default:
                break  // CREATED, RUNNING: wait and poll again.
            }
            let now = clock.now
            if let deadline = InvocationDeadline.current,
                now.addingTimeInterval(interval + Self.minimumQueryTime) > deadline
            {
                throw bulkError(
                    "bulk operation \(id) is still \(operation.status) at the invocation's deadline", retryable: true)
            }
            if now.timeIntervalSince(begun) + interval > Self.bulkMaximumWait {
                throw bulkError(
                    "bulk operation \(id) is still \(operation.status) after \(Int(Self.bulkMaximumWait)) s",
                    retryable: true)
            }
            do {
                try await sleep(interval)
            } catch {
                throw bulkError("cancelled while polling bulk operation \(id)", retryable: false)
            }
            interval = min(Self.bulkPollCap, interval * 2)
        }
    }

    /// Downloads the result to `file`. The URL is a signed storage link: no Shopify token is sent.
    func downloadBulkFile(_ url: String, to file: URL) async throws {
        let request = TransportRequest(method: "GET", url: url)
        let host = URL(string: url)?.host ?? "?"
        let response: TransportResponse
        do {
            if let streaming = api.transport as? any HTTPFileDownloading {
                response = try await streaming.download(request, to: file)
            } else {
                response = try await api.transport.send(request)
                if (200..<300).contains(response.status) {
                    try Data(response.body).write(to: file)
                }
            }
        } catch let error as TransportError {
            throw bulkError("downloading the bulk result from \(host): \(error)", retryable: error.isRetryable)
        }
        guard (200..<300).contains(response.status) else {
            throw bulkError(
                "downloading the bulk result from \(host) answered \(response.status)", retryable: true)
        }
    }

    private func bulkError(_ reason: String, retryable: Bool) -> PlatformError {
        PlatformError(
            platform: "shopify", path: PlatformAPI.pathAndQuery(of: endpoint), status: nil, reason: reason,
            isRetryable: retryable)
    }
}

/// The bulk export's JSONL, read line by line: each customer line is followed by its orders, each
/// carrying `__parentId` (the customer's gid), as `bulkOperationRunQuery(groupObjects: true)`
/// writes them. An order whose parent is not the customer just read (an order before its parent,
/// or a file written without grouping) is refused, naming the line, instead of splitting or
/// holding customers: the reader keeps one customer open, whatever the size of the file.
package enum ShopifyBulkJSONL {
    /// Bytes read from the file at once.
    package static let chunkSize = 1 << 20

    /// Calls `body` with every customer that has orders, in the file's order, orders oldest
    /// first. Throws a final `PlatformError` naming the line for a malformed or misplaced line.
    package static func forEachHistory(
        in file: URL, chunkSize: Int = ShopifyBulkJSONL.chunkSize, _ body: (CustomerHistory) async throws -> Void
    ) async throws {
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: file)
        } catch {
            throw failure("cannot open \(file.lastPathComponent): \(error)")
        }
        defer { try? handle.close() }
        var grouper = Grouper()
        var pending = Data()
        var lineNumber = 0
        while true {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: max(1, chunkSize)) ?? Data()
            } catch {
                throw failure("reading \(file.lastPathComponent): \(error)")
            }
            if chunk.isEmpty { break }
            // Only the new bytes can hold the next newline: the carried-over tail has none.
            var searchFrom = pending.count
            pending.append(chunk)
            var start = 0
            while let newline = pending[searchFrom...].firstIndex(of: 0x0A) {
                lineNumber += 1
                if let done = try grouper.line(pending[start..<newline], number: lineNumber) { try await body(done) }
                start = newline + 1
                searchFrom = start
            }
            pending = Data(pending[start...])
        }
        if !pending.isEmpty {
            lineNumber += 1
            if let done = try grouper.line(pending, number: lineNumber) { try await body(done) }
        }
        if let done = grouper.finish() { try await body(done) }
    }

    /// Groups lines into histories: one open customer and their orders.
    package struct Grouper {
        private var open: (gid: String, customer: CustomerRecord, orders: [OrderRecord])?
        private let decoder = JSONDecoder()
        private static let parentKey = Data("\"__parentId\"".utf8)

        /// A grouper with no customer open.
        package init() {}

        /// Reads one line (without its newline). Returns the previous customer's history when this
        /// line opens the next customer and the previous one had orders. Blank lines are skipped.
        package mutating func line(_ bytes: Data, number: Int) throws -> CustomerHistory? {
            guard bytes.contains(where: { $0 != 0x20 && $0 != 0x0D && $0 != 0x09 }) else { return nil }
            if bytes.range(of: Self.parentKey) != nil {
                let order: ShopifyGraphQLWire.BulkOrderLine
                do {
                    order = try decoder.decode(ShopifyGraphQLWire.BulkOrderLine.self, from: bytes)
                } catch {
                    throw ShopifyBulkJSONL.failure("line \(number): not an order line: \(Self.describe(error))")
                }
                guard var current = open, current.gid == order.parentID else {
                    throw ShopifyBulkJSONL.failure(
                        "line \(number): order \(order.order.id) has __parentId \(order.parentID), "
                            + (open.map { "but the open customer is \($0.gid)" } ?? "before any customer line")
                            + "; the export must list each customer's orders right after it (groupObjects: true)")
                }
                open = nil  // keep the orders array uniquely referenced while appending
                current.orders.append(order.order.record())
                open = current
                return nil
            }
            let customer: ShopifyGraphQLWire.Customer
            do {
                customer = try decoder.decode(ShopifyGraphQLWire.Customer.self, from: bytes)
            } catch {
                throw ShopifyBulkJSONL.failure("line \(number): not a customer line: \(Self.describe(error))")
            }
            guard customer.id.hasPrefix("gid://shopify/Customer/") else {
                throw ShopifyBulkJSONL.failure(
                    "line \(number): id \(customer.id) is not a customer and the line has no __parentId")
            }
            let done = finish()
            open = (customer.id, customer.record(), [])
            return done
        }

        /// Closes the open customer: its history when it has orders, else nil.
        package mutating func finish() -> CustomerHistory? {
            defer { open = nil }
            guard let open, !open.orders.isEmpty else { return nil }
            return CustomerHistory(
                customer: open.customer,
                orders: open.orders.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) })
        }

        private static func describe(_ error: any Error) -> String {
            if let decoding = error as? DecodingError { return PlatformAPI.describe(decoding) }
            return "\(error)"
        }
    }

    static func failure(_ reason: String) -> PlatformError {
        PlatformError(
            platform: "shopify", path: "bulk export", status: nil, reason: reason, isRetryable: false)
    }
}

extension ShopifyGraphQLWire {
    /// `{ bulkOperationRunQuery }`.
    package struct BulkRunRoot: Decodable, Sendable {
        /// The payload; null when the mutation failed as a whole.
        package var bulkOperationRunQuery: BulkRunPayload?
    }

    /// `BulkOperationRunQueryPayload`.
    package struct BulkRunPayload: Decodable, Sendable {
        /// The operation started; null when refused.
        package var bulkOperation: BulkOperation?
        /// Why it was refused.
        package var userErrors: [BulkUserError]
    }

    /// `BulkOperationUserError`.
    package struct BulkUserError: Decodable, Sendable {
        /// `message`.
        package var message: String
        /// `code` (OPERATION_IN_PROGRESS, ...).
        package var code: String?
    }

    /// `{ node }` for a poll.
    package struct BulkPollRoot: Decodable, Sendable {
        /// The operation; null when the id is unknown.
        package var node: BulkOperation?
    }

    /// `BulkOperation`, as the poll reads it.
    package struct BulkOperation: Decodable, Sendable {
        /// `id`, a gid.
        package var id: String
        /// `status`: CREATED, RUNNING, COMPLETED, FAILED, CANCELING, CANCELED, EXPIRED.
        package var status: String
        /// `errorCode` when FAILED: ACCESS_DENIED, INTERNAL_SERVER_ERROR, TIMEOUT.
        package var errorCode: String?
        /// `objectCount`, an UnsignedInt64 sent as a string.
        package var objectCount: Wire.DecimalString?
        /// `url` of the JSONL once COMPLETED; null when there were no objects.
        package var url: String?
    }

    /// One order line of the bulk JSONL: the order and `__parentId`, its customer's gid.
    package struct BulkOrderLine: Decodable, Sendable {
        /// The order.
        package var order: Order
        /// `__parentId`.
        package var parentID: String

        enum CodingKeys: String, CodingKey { case parentID = "__parentId" }

        package init(from decoder: any Decoder) throws {
            order = try Order(from: decoder)
            parentID = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .parentID)
        }
    }
}

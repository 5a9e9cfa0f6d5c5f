import Foundation

extension BigCommerceClient: CustomerBaseStreaming {
    /// Customers whose orders are read at once while a page of customers is scanned.
    static let scanConcurrency = 8

    /// Streams the store's customers page by page with the `after` cursor (`GET /v3/customers?limit=250`,
    /// then `&after=` each page's `meta.cursor_pagination.end_cursor` while `links.next` says
    /// another page follows; at most `maxPages` pages, a repeated cursor is an error), reads each
    /// customer's V2 orders with at most `scanConcurrency` customers in flight, and hands over every
    /// customer with at least one order in the listing's order (by id, the order the cursor walks).
    /// Memory holds one page of customers and their orders, whatever the size of the base. Throws
    /// `PlatformError` when a request fails or the listing is not found (404), and what `body` throws.
    package func forEachCustomerHistory(_ body: (CustomerHistory) async throws -> Void) async throws {
        var after: String?
        var seen: Set<String> = []
        var page = 1
        while true {
            let url =
                "\(baseURL)/v3/customers?limit=\(min(max(1, scanPageSize), BigCommerceClient.pageSize))"
                + (after.map { "&after=" + PercentEncoding.encode($0) } ?? "")
            // A 404 for the listing itself is a wrong store hash (or a recorded shop without a
            // customers listing), not an empty base: the scan says so instead of selecting no one.
            guard let response = try await api.get(url) else {
                throw PlatformError(
                    platform: "bigcommerce", path: PlatformAPI.pathAndQuery(of: url), status: 404,
                    reason: "the customers listing was not found; check BIGCOMMERCE_STORE_HASH", isRetryable: false)
            }
            guard !response.body.isEmpty else { break }
            let list = try api.decode(
                BigCommerceWire.List<BigCommerceWire.Customer>.self, from: response.body, url: url)
            let customers = list.data.map { $0.record() }
            for history in try await histories(of: customers) where !history.orders.isEmpty {
                try await body(history)
            }
            guard let cursor = list.meta?.cursorPagination, cursor.links?.next?.isEmpty == false, !list.data.isEmpty
            else { break }
            guard let next = cursor.endCursor, !next.isEmpty, seen.insert(next).inserted else {
                throw PlatformError(
                    platform: "bigcommerce", path: PlatformAPI.pathAndQuery(of: url), status: nil,
                    reason:
                        "meta.cursor_pagination.end_cursor \(cursor.endCursor?.isEmpty != false ? "is missing" : "repeats") while links.next names another page",
                    isRetryable: false)
            }
            after = next
            page += 1
            try checkPageBound(page, url)
        }
    }

    /// The customers with their orders, in the order given, at most `scanConcurrency` read at once.
    private func histories(of customers: [CustomerRecord]) async throws -> [CustomerHistory] {
        try await withThrowingTaskGroup(of: (Int, [OrderRecord]).self) { group in
            var orders = [[OrderRecord]](repeating: [], count: customers.count)
            var next = 0
            func startNext() {
                guard next < customers.count else { return }
                let index = next
                let id = customers[index].id
                next += 1
                group.addTask { (index, try await self.orders(customerID: id)) }
            }
            for _ in 0..<BigCommerceClient.scanConcurrency { startNext() }
            while let (index, found) = try await group.next() {
                orders[index] = found
                startNext()
            }
            return zip(customers, orders).map { CustomerHistory(customer: $0, orders: $1) }
        }
    }
}

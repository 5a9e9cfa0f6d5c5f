extension ShopifyAdminClient: CustomerBaseStreaming {
    /// Streams `GET orders.json?status=any&limit=250` page by page (following `Link: rel="next"`)
    /// and hands over each customer's orders as one history, the customer record taken from the
    /// orders' embedded `customer` (the latest order's). Guest orders are skipped.
    ///
    /// The listing must be grouped by customer in ascending customer id (the synthetic shop and
    /// a bulk export are; a live shop's default listing is not): a customer id that goes backwards
    /// throws a final `PlatformError` instead of splitting a customer in two. See
    /// docs/decisions/win-back-scan.md.
    package func forEachCustomerHistory(_ body: (CustomerHistory) async throws -> Void) async throws {
        var url: String? = "\(baseURL)/orders.json?status=any&limit=250"
        var current: (customer: CustomerRecord, orders: [OrderRecord])?
        var lastID: (Int, String)?
        while let next = url {
            guard let (page, response) = try await api.getDecoded(ShopifyWire.ScanOrdersPage.self, next) else {
                break
            }
            for wire in page.orders {
                guard let customer = wire.customer else { continue }
                let record = wire.order.record()
                if var open = current, open.customer.id == customer.id.value {
                    open.orders.append(record)
                    open.customer = customer.record()
                    current = open
                    continue
                }
                let key = (customer.id.value.count, customer.id.value)
                if let lastID, key < lastID || key == lastID {
                    throw PlatformError(
                        platform: "shopify", path: PlatformAPI.pathAndQuery(of: next), status: nil,
                        reason:
                            "orders are not grouped by ascending customer id (customer \(customer.id.value) after \(lastID.1)); the scan needs a grouped listing",
                        isRetryable: false)
                }
                lastID = key
                if let done = current { try await body(Self.history(done)) }
                current = (customer.record(), [record])
            }
            url = PlatformAPI.nextLink(in: response.headers["link"])
        }
        if let done = current { try await body(Self.history(done)) }
    }

    private static func history(_ open: (customer: CustomerRecord, orders: [OrderRecord])) -> CustomerHistory {
        CustomerHistory(
            customer: open.customer, orders: open.orders.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) })
    }
}

extension ShopifyWire {
    /// `GET orders.json` read for the scan: each order with its embedded customer in full.
    package struct ScanOrdersPage: Decodable, Sendable {
        /// `orders[]`.
        package var orders: [ScanOrder]
    }

    /// An order and its `customer` object (id, email, names, tags, marketing consent).
    package struct ScanOrder: Decodable, Sendable {
        /// The order as enrichment reads it.
        package var order: Order
        /// `order.customer`; nil for a guest order.
        package var customer: Customer?

        enum CodingKeys: String, CodingKey { case customer }

        package init(from decoder: any Decoder) throws {
            order = try Order(from: decoder)
            customer = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(Customer.self, forKey: .customer)
        }
    }
}

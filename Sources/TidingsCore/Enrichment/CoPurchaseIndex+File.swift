import Foundation

/// The co-purchase index as a file. Counting pairs needs every order of the shop, which no
/// handler can afford per cold start (real shops have millions of orders), so the index is built
/// by a batch (`tidings shop index`, later a scheduled function) and handlers read the result.
/// See docs/decisions/co-purchase-index.md.
extension CoPurchaseIndex {
    /// The JSON form: `{"orders": {product: count}, "pairs": {product: {product: count}}}`, keys sorted.
    package func encoded() -> [UInt8] {
        var orders: [String: JSONValue] = [:]
        for (product, count) in orderCounts { orders[product] = .int(count) }
        var pairs: [String: JSONValue] = [:]
        for (product, partners) in counts {
            pairs[product] = .object(partners.mapValues { JSONValue.int($0) })
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let document: JSONValue = [
            "format": "tidings.co-purchases.v1", "orders": .object(orders), "pairs": .object(pairs),
        ]
        return Array((try? encoder.encode(document)) ?? Data()) + [UInt8(ascii: "\n")]
    }

    /// Reads the JSON form. Throws `PlatformError` naming the file and the field when it is not one.
    package init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PlatformError(
                platform: "co-purchase index", path: path, status: nil, reason: "cannot read the file",
                isRetryable: false)
        }
        do {
            let root = try JSONObjectReader(try JSONParser.parse(Array(data)))
            self.init()
            let orders = try root.object("orders")
            for product in orders.members.keys { orderCounts[product] = try orders.int(product) }
            let pairs = try root.object("pairs")
            for product in pairs.members.keys {
                let partners = try pairs.object(product)
                var row: [String: Int] = [:]
                for partner in partners.members.keys { row[partner] = try partners.int(partner) }
                counts[product] = row
            }
        } catch let error as InputError {
            throw PlatformError(
                platform: "co-purchase index", path: path, status: nil, reason: error.description, isRetryable: false)
        } catch {
            throw PlatformError(
                platform: "co-purchase index", path: path, status: nil, reason: "not JSON (\(error))",
                isRetryable: false)
        }
    }
}

/// Where a platform client gets its co-purchase index.
package enum CoPurchaseSource: Sendable {
    /// Count pairs over every order of the shop through the API: what `tidings shop index` does.
    case orderScan
    /// Read an index built earlier: what handlers do.
    case stored(path: String)
    /// No index has been built for a live shop yet: the catalog carries no co-purchase counts
    /// (recommendations fall back to the rest of the profile) rather than every cold start
    /// reading every order.
    case absent
}

import Foundation

/// The Shopify Admin GraphQL documents Tidings sends, in one place (STYLE 4), each named by its
/// operation. Every document here is checked against the official introspection schema of
/// `ShopifyGraphQLClient.defaultAPIVersion` by the test suite (ShopifyQueryValidationTests), and
/// the loopback fake refuses any request that does not validate. Page sizes keep each query's
/// requested cost well under the 1,000-point single-query limit.
package enum ShopifyGraphQL {
    /// One operation: its name and its full document (fragments included).
    package struct Operation: Sendable, Hashable {
        /// The operation's name, as the document declares it (`TidingsCustomer`).
        package var name: String
        /// The document sent as `query`.
        package var document: String
    }

    /// Orders per page of a customer's orders, and line items read per order (the flows read a
    /// few lines; an order with more has its first 50 counted).
    package static let ordersPageSize = 25
    /// Line items read per order.
    package static let lineItemsPerOrder = 30
    /// Products per page of the catalog.
    package static let productsPageSize = 100
    /// Variants read per product (their inventory is summed).
    package static let variantsPerProduct = 20

    static let money = "shopMoney { amount currencyCode } presentmentMoney { amount currencyCode }"

    /// The order fields every order query reads: money in shop and presentment currency,
    /// cancellation, refunds and the line items.
    static let orderFragment = """
        fragment TidingsOrderFields on Order {
          id
          name
          createdAt
          cancelledAt
          cancelReason
          displayFinancialStatus
          currencyCode
          presentmentCurrencyCode
          discountCodes
          statusPageUrl
          customer { id }
          shippingLine { title }
          subtotalPriceSet { \(money) }
          totalPriceSet { \(money) }
          totalRefundedSet { \(money) }
          refunds(first: 10) { createdAt totalRefundedSet { \(money) } }
          lineItems(first: \(lineItemsPerOrder)) {
            nodes {
              title
              quantity
              variantTitle
              product { id productType }
              variant { id }
              originalUnitPriceSet { \(money) }
            }
          }
        }
        """

    /// `customer(id:)`: identity, tags, email marketing consent, amount spent, number of orders.
    package static let customer = Operation(
        name: "TidingsCustomer",
        document: """
            query TidingsCustomer($id: ID!) {
              customer(id: $id) {
                id
                firstName
                lastName
                tags
                createdAt
                defaultEmailAddress { emailAddress marketingState }
                amountSpent { amount currencyCode }
                numberOfOrders
              }
            }
            """)

    /// One page of a customer's orders, oldest first.
    package static let customerOrders = Operation(
        name: "TidingsCustomerOrders",
        document: """
            query TidingsCustomerOrders($id: ID!, $first: Int!, $after: String) {
              customer(id: $id) {
                id
                orders(first: $first, after: $after, sortKey: CREATED_AT) {
                  pageInfo { hasNextPage endCursor }
                  nodes { ...TidingsOrderFields }
                }
              }
            }
            """ + "\n" + orderFragment)

    /// One order by id, for thin order webhooks.
    package static let order = Operation(
        name: "TidingsOrder",
        document: """
            query TidingsOrder($id: ID!) {
              order(id: $id) { ...TidingsOrderFields }
            }
            """ + "\n" + orderFragment)

    /// One page of every order of the shop, for the co-purchase index (`tidings shop index`).
    package static let shopOrders = Operation(
        name: "TidingsShopOrders",
        document: """
            query TidingsShopOrders($first: Int!, $after: String) {
              orders(first: $first, after: $after, sortKey: CREATED_AT) {
                pageInfo { hasNextPage endCursor }
                nodes { ...TidingsOrderFields }
              }
            }
            """ + "\n" + orderFragment)

    /// One page of the catalog: products with their variants' prices and inventory.
    package static let products = Operation(
        name: "TidingsProducts",
        document: """
            query TidingsProducts($first: Int!, $after: String) {
              products(first: $first, after: $after) {
                pageInfo { hasNextPage endCursor }
                nodes {
                  id
                  title
                  handle
                  productType
                  status
                  variants(first: \(variantsPerProduct)) { nodes { price inventoryQuantity } }
                }
              }
            }
            """)

    /// The access scopes the token was granted (`tidings shop check`).
    package static let accessScopes = Operation(
        name: "TidingsAccessScopes",
        document: """
            query TidingsAccessScopes {
              currentAppInstallation { accessScopes { handle } }
            }
            """)

    /// The customer with an email address (`customerByIdentifier`): a complaint names an address,
    /// not a customer, so consent written back after one looks the customer up first.
    package static let customerByEmail = Operation(
        name: "TidingsCustomerByEmail",
        document: """
            query TidingsCustomerByEmail($email: String!) {
              customerByIdentifier(identifier: { emailAddress: $email }) { id }
            }
            """)

    /// Sets a customer's email marketing state (consent written back after an unsubscribe or a
    /// complaint).
    package static let consentUpdate = Operation(
        name: "TidingsConsentUpdate",
        document: """
            mutation TidingsConsentUpdate($input: CustomerEmailMarketingConsentUpdateInput!) {
              customerEmailMarketingConsentUpdate(input: $input) {
                customer { id }
                userErrors { field message }
              }
            }
            """)

    /// The bulk query of the win-back scan: every customer and their orders (no line items: a
    /// bulk query nests at most two connections). Sent as `bulkOperationRunQuery`'s `query`; the
    /// test suite validates it against the schema like the operations.
    package static let bulkCustomers = Operation(name: "bulkCustomers", document: bulkCustomersQuery)

    static let bulkCustomersQuery = """
        {
          customers {
            edges {
              node {
                id
                firstName
                lastName
                tags
                createdAt
                defaultEmailAddress { emailAddress marketingState }
                amountSpent { amount currencyCode }
                numberOfOrders
                orders(sortKey: CREATED_AT) {
                  edges {
                    node {
                      id
                      name
                      createdAt
                      cancelledAt
                      cancelReason
                      displayFinancialStatus
                      currencyCode
                      presentmentCurrencyCode
                      discountCodes
                      statusPageUrl
                      customer { id }
                      totalPriceSet { \(money) }
                      totalRefundedSet { \(money) }
                    }
                  }
                }
              }
            }
          }
        }
        """

    /// Starts a bulk query with the children of each object written right after it
    /// (`groupObjects: true`), which is what lets the scan stream the file in flat memory.
    package static let bulkRun = Operation(
        name: "TidingsBulkRun",
        document: """
            mutation TidingsBulkRun($query: String!) {
              bulkOperationRunQuery(query: $query, groupObjects: true) {
                bulkOperation { id status }
                userErrors { field message code }
              }
            }
            """)

    /// One poll of a bulk operation by id.
    package static let bulkPoll = Operation(
        name: "TidingsBulkPoll",
        document: """
            query TidingsBulkPoll($id: ID!) {
              node(id: $id) {
                ... on BulkOperation { id status errorCode objectCount url partialDataUrl }
              }
            }
            """)

    /// Every operation the client can send, for the schema validation test.
    package static let all: [Operation] = [
        customer, customerOrders, order, shopOrders, products, accessScopes, customerByEmail, consentUpdate, bulkRun,
        bulkPoll, bulkCustomers,
    ]

    /// `gid://shopify/<type>/<id>` for a numeric id (REST and webhook ids); a gid is kept as it is.
    package static func gid(_ type: String, _ id: String) -> String {
        id.hasPrefix("gid://") ? id : "gid://shopify/\(type)/\(id)"
    }

    /// The numeric tail of a gid (`gid://shopify/Order/123` -> `123`), which is the id webhooks and
    /// the REST API use, so that records from either match; any other text is returned as it is.
    package static func legacyID(_ gid: String) -> String {
        guard gid.hasPrefix("gid://"), let slash = gid.lastIndex(of: "/") else { return gid }
        var tail = gid[gid.index(after: slash)...]
        if let query = tail.firstIndex(of: "?") { tail = tail[..<query] }
        return tail.isEmpty ? gid : String(tail)
    }
}

import Foundation
import Synchronization

@testable import TidingsCore

/// A clock that only moves when the token bucket sleeps, recording each sleep.
final class ManualClock: TimeSource, Sendable {
    private let state = Mutex<(now: Date, sleeps: [TimeInterval])>((Date(timeIntervalSince1970: 1_000_000), []))
    var now: Date { state.withLock { $0.now } }
    var sleeps: [TimeInterval] { state.withLock { $0.sleeps } }
    func advance(_ seconds: TimeInterval) {
        state.withLock {
            $0.now += seconds
            $0.sleeps.append(seconds)
        }
    }
}

/// Customer histories from memory, in order, for scans without a shop on disk.
struct InMemoryCustomerBase: CustomerBaseStreaming {
    var histories: [CustomerHistory]
    func forEachCustomerHistory(_ body: (CustomerHistory) async throws -> Void) async throws {
        for history in histories { try await body(history) }
    }
}

enum WinBackFixtures {
    static let now = Date(timeIntervalSince1970: 1_795_000_000)
    static let day: TimeInterval = 86_400

    static func order(
        _ id: String, daysAgo: Double, total: Decimal, product: String = "p-tent", codes: [String] = [],
        status: String = "paid", cancelled: Bool = false
    ) -> OrderRecord {
        OrderRecord(
            id: id, customerID: "c", createdAt: now - daysAgo * day, total: Money(total, "USD"),
            lines: [
                OrderLine(productID: product, title: "Product \(product)", quantity: 1, price: Money(total, "USD"))
            ],
            cancelledAt: cancelled ? now - daysAgo * day + 3_600 : nil, discountCodes: codes, financialStatus: status)
    }

    static func customer(_ id: String, consent: MarketingConsent = .subscribed, email: String? = "a@mail.example.com")
        -> CustomerRecord
    {
        CustomerRecord(
            id: id, email: email, firstName: "Ava", lastName: "Lind", consent: consent, tags: [], createdAt: nil)
    }

    static let categories = ["p-tent": "Tents", "p-boot": "Boots", "p-sock": "Socks"]
}

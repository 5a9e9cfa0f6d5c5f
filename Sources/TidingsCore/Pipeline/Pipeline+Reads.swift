import Foundation

/// The reads and side effects `Run.execute` performs for a planner. Each returns what it found;
/// none writes an audit record (the caller records what it learned), and each maps its
/// boundary's errors to the event's `Failure`.
extension Run {
    /// Whether the event already reached a final outcome since `since` (the duplicate guard).
    func remembersEvent(_ eventID: String, since: Date) throws -> Bool {
        do {
            return try stages.audit.hasFinalOutcome(eventID: eventID, since: since)
        } catch {
            throw Failure(.auditUnavailable, "\(error)", retryable: true)
        }
    }

    /// The audit's answer for each key, by key.
    func lookUp(_ keys: [RememberedKey]) throws -> [String: Bool] {
        var answers: [String: Bool] = [:]
        for key in keys {
            answers[key.key] = try remembers(key)
        }
        return answers
    }

    /// Whether any of `keys` is remembered, asking in order and stopping at the first that is.
    func remembersAny(_ keys: [RememberedKey]) throws -> Bool {
        for key in keys where try remembers(key) { return true }
        return false
    }

    private func remembers(_ key: RememberedKey) throws -> Bool {
        do {
            return try stages.audit.hasFinalOutcome(forKey: key.key, since: key.since)
        } catch {
            throw Failure(.auditUnavailable, "\(error)", retryable: true)
        }
    }

    /// Writes a tombstone at this run's instant; returns the time of the one that stands (an
    /// earlier write's, when one was there). A store that fails fails the event, retryably.
    func writeTombstone(_ tombstone: TombstoneWrite) async throws -> Date {
        do {
            return try await stages.state.writeTombstone(
                tombstone.key, time: now, expiresAt: Date().addingTimeInterval(tombstone.lifetime))
        } catch {
            throw Failure(.stateUnavailable, "\(error)", retryable: true)
        }
    }

    /// The tombstones among `keys` that exist, by key, with their times.
    func readTombstones(_ keys: [String]) async throws -> [String: Date] {
        var found: [String: Date] = [:]
        for key in keys {
            do {
                found[key] = try await stages.state.tombstone(key)
            } catch {
                throw Failure(.stateUnavailable, "\(error)", retryable: true)
            }
        }
        return found
    }

    /// Stops a series: its messages that are not due yet (`EmailService.cancelScheduled`) and its
    /// items waiting for a person (`ReviewQueue.withdraw`). A service that cannot say fails the
    /// event, retryably when it says so.
    func stopSeries(_ series: String) async throws -> (stopped: [String], withdrawn: [String]) {
        do {
            let stopped = try await stages.email.cancelScheduled(series: series, after: now)
            let withdrawn = try await stages.review.withdraw(series: series)
            return (stopped, withdrawn)
        } catch let error as DeliveryError {
            throw Failure(.seriesCancelFailed, "\(error)", retryable: error.isRetryable)
        }
    }

    /// The platform that knows a source's customers. Throws a non-retryable failure when none is
    /// configured.
    func platform(for source: EventPlatform) throws -> any CommercePlatform {
        guard let platform = stages.platform(for: source) else {
            throw Failure(
                .noPlatform, "no commerce platform is configured for \(source.rawValue)", retryable: false)
        }
        return platform
    }

    /// Runs platform calls, turning a `PlatformError` into the event's failure (retryable when the
    /// platform said so).
    func fromPlatform<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PlatformError {
            throw Failure(.platformUnavailable, "\(error)", retryable: error.isRetryable)
        }
    }

    /// A thin payload's cart or order, as the platform returns it; nil when the payload carries
    /// the whole subject (or the flow's subject is not a cart or an order).
    func resolveSubject(of event: LifecycleEvent) async throws -> ResolvedSubject? {
        switch event.subject {
        case .cart(.reference(let cartID)):
            let platform = try platform(for: event.source.platform)
            return .cart(try await fromPlatform { try await platform.cart(id: cartID) })
        case .order(.reference(let orderID, _)):
            let platform = try platform(for: event.source.platform)
            return .order(try await fromPlatform { try await platform.order(id: orderID) })
        default:
            return nil
        }
    }

    /// The catalog, the customer's record and orders from the platform, built into a profile.
    func enrich(_ reference: CustomerReference, currency: String, for event: LifecycleEvent) async throws
        -> EnrichedCustomer
    {
        let platform = try platform(for: event.source.platform)
        let (catalog, customerRecord, orders) = try await fromPlatform {
            let catalog = try await platform.catalog()
            guard let id = reference.id else { return (catalog, nil as CustomerRecord?, [OrderRecord]()) }
            return (catalog, try await platform.customer(id: id), try await platform.orders(customerID: id))
        }
        let profile = ProfileBuilder().build(
            reference: reference, record: customerRecord, orders: orders, catalog: catalog, currency: currency)
        return EnrichedCustomer(catalog: catalog, record: customerRecord, profile: profile)
    }

    /// A customer's record, orders and the catalog as the platform returns them, with the stored
    /// lifetime parameters (or the rules when none are stored).
    func readHistory(_ customerID: String, for event: LifecycleEvent) async throws -> CustomerReading {
        let platform = try platform(for: event.source.platform)
        let (record, orders, catalog) = try await fromPlatform {
            (
                try await platform.customer(id: customerID), try await platform.orders(customerID: customerID),
                try await platform.catalog()
            )
        }
        let lifetime = try storedLifetimeParameters() ?? WinBackPlanner.rulesOnly(at: now)
        return CustomerReading(record: record, orders: orders, catalog: catalog, lifetime: lifetime)
    }

    /// The lifetime parameters stored under the data folder; nil when none are.
    func storedLifetimeParameters() throws -> LifetimeParameters? {
        let file = configuration.dataDirectory.appendingPathComponent(LifetimeParameters.relativePath)
        do {
            return try LifetimeParameters.load(from: file)
        } catch {
            throw Failure(.modelUnreadable, "\(file.path): \(error)", retryable: false)
        }
    }
}

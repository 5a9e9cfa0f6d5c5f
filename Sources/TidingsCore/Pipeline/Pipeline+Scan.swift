import Foundation

/// A scan's fan-out (`FlowPlan.Action.fanOut`): the pipeline streams the customer base, asks the
/// planner's pure functions about each customer, records each decision under the scan event and
/// writes each selected customer's email as a child event with its own terminal record.
extension Run {
    /// Streams the scanned platform's base through `WinBackScan` (page by page, at most
    /// `concurrency` messages in flight, each started when the token bucket allows); the `model`
    /// record first, then one `select` record per customer. Returns the counts.
    func runScan(_ plan: WinBackScanPlan, of event: LifecycleEvent, facts: FlowFacts) async throws
        -> WinBackScanSummary
    {
        let scan = plan.scan
        let platform = try platform(for: scan.platform)
        guard let base = platform as? any CustomerBaseStreaming else {
            throw Failure(
                .scanUnsupported,
                "the \(scan.platform.rawValue) client cannot stream the customer base",
                retryable: false)
        }
        let catalog = try await fromPlatform { try await platform.catalog() }
        let (parameters, refitted) = try await lifetimeParameters(base, plan: plan)
        try record("model", WinBackPlanner.modelFacts(parameters, refitted: refitted))
        let selector = WinBackPlanner.selector(for: scan, parameters: parameters, catalog: catalog)
        // 50 ms of tokens: a page read that stalls the stream does not cost the rate (docs/decisions/win-back-scan.md).
        let limiter = scan.requestsPerSecond.map { TokenBucket(rate: $0, burst: max(1, $0 * 0.05)) }
        let scanner = WinBackScan(selector: selector, now: now, concurrency: scan.concurrency)
        // A stream without order lines selects on dates and totals; each selected customer's
        // history is read again before writing, and the churn reason is decided there.
        let reread = base.streamsOrderLines ? nil : Reread(platform: platform, selector: selector)
        return try await fromPlatform {
            try await scanner.run(
                source: base, limiter: limiter,
                recentlyEmailed: { try remembersAny(WinBackPlanner.quietKeys($0, criteria: scan.criteria, now: now)) },
                record: { decision in
                    var facts = WinBackPlanner.decisionFacts(decision)
                    facts["customer_id"] = .string(decision.customerID)
                    if reread != nil, decision.skip == nil {
                        facts["churn_reason"] = nil
                        facts["churn_evidence"] = nil
                        facts["history"] = .string("read again with order lines before writing")
                    }
                    try record("select", facts)
                },
                write: { target in
                    await writeChild(
                        target, plan: plan, scanEvent: event, catalog: catalog, facts: facts, reread: reread)
                })
        }
    }

    /// How a scan over a stream without order lines completes a selected customer.
    struct Reread: Sendable {
        /// Reads the customer and their orders, lines included.
        var platform: any CommercePlatform
        /// The scan's selector, to decide again on the whole history.
        var selector: WinBackSelector

        /// What the second look found.
        enum Finding {
            /// Still selected, with the whole history.
            case selected(WinBackTarget)
            /// Not to be written to, and why.
            case stopped(GuardVerdict)
        }
    }

    /// A selected customer's history read again (`CustomerBaseStreaming.streamsOrderLines` false)
    /// and decided again at the scan's instant, so the churn reason, favourite categories and
    /// recommendations see what they bought, and consent is as of now rather than as of the
    /// export. Returns the new target, or the verdict that stops the child: the customer is gone,
    /// or no longer selected (consent withdrawn since the export, an order placed since).
    func reread(_ target: WinBackTarget, with reread: Reread) async throws -> Reread.Finding {
        let id = target.customer.id
        let (customer, orders) = try await fromPlatform {
            async let customer = reread.platform.customer(id: id)
            async let orders = reread.platform.orders(customerID: id)
            return try await (customer, orders)
        }
        guard let customer else { return .stopped(Guards.unknownCustomer(id)) }
        // The quiet period was asked while streaming, and the message's dedupe key guards the write.
        let (decision, full) = reread.selector.decide(
            CustomerHistory(customer: customer, orders: orders), now: now, emailedRecently: { _ in false })
        guard let full else { return .stopped(Guards.checkSelection(decision)!) }
        return .selected(full)
    }

    /// One selected customer's email as its own event under the scan: its `select` record, the
    /// back half, and its own terminal outcome whatever happens. Returns the outcome's name.
    func writeChild(
        _ target: WinBackTarget, plan: WinBackScanPlan, scanEvent: LifecycleEvent, catalog: Catalog, facts: FlowFacts,
        reread: Reread? = nil
    ) async -> String {
        var child = self
        child.eventID = "\(scanEvent.id)/customer/\(target.customer.id)"
        do {
            var target = target
            var selectFacts: [String: JSONValue] = [
                "scan_event": .string(scanEvent.id), "customer_id": .string(target.customer.id),
            ]
            if let reread {
                selectFacts["history"] = .string("read again with order lines")
                switch try await child.reread(target, with: reread) {
                case .selected(let full): target = full
                case .stopped(let verdict):
                    try child.record("select", selectFacts)
                    return try child.stop(verdict).outcome.rawValue
                }
            }
            selectFacts["churn_reason"] = .string(target.reason.kind.rawValue)
            try child.record("select", selectFacts)
            let message = try plan.planner.message(
                for: target, eventID: child.eventID, catalog: catalog, facts: facts)
            if let verdict = try await child.screenSuppressed([message]).verdict {
                return try child.stop(verdict).outcome.rawValue
            }
            let contact = try await child.screenContact(
                [message], zone: child.contactZone(record: target.customer, reference: nil))
            if let verdict = contact.verdict { return try child.stop(verdict).outcome.rawValue }
            let assigned = try child.assignExperiment(contact.kept)
            guard let assignedMessage = assigned.kept.first else {
                return child.finishHeldOut(assigned.heldOut, experimentID: experimentID).outcome.rawValue
            }
            return child.finish([try await child.compose(assignedMessage)]).outcome.rawValue
        } catch let capped as FrequencyCapReached {
            do {
                return try child.stop(capped.verdict).outcome.rawValue
            } catch {
                return child.fail(error).outcome.rawValue
            }
        } catch {
            return child.fail(error).outcome.rawValue
        }
    }

    /// The stored parameters, or a fresh fit on a reservoir sample of the base when they are
    /// missing or older than the planner allows (saved for the next scan). `refitted` says which.
    func lifetimeParameters(_ base: any CustomerBaseStreaming, plan: WinBackScanPlan) async throws
        -> (parameters: LifetimeParameters, refitted: Bool)
    {
        if let stored = try storedLifetimeParameters(),
            !stored.isStale(at: now, maximumAge: plan.planner.modelMaximumAge)
        {
            return (stored, false)
        }
        let (sample, _) = try await fromPlatform {
            try await base.reservoirSample(size: plan.planner.fitSampleSize, seed: 0x5EED, now: now)
        }
        let fitted = LifetimeParameters.fit(sample, at: now)
        let file = configuration.dataDirectory.appendingPathComponent(LifetimeParameters.relativePath)
        do {
            try fitted.save(to: file)
        } catch {
            throw Failure(.modelUnwritable, "\(file.path): \(error)", retryable: true)
        }
        return (fitted, true)
    }
}

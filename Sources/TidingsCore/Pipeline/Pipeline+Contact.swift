import Foundation

/// The frequency cap on a marketing message that another handling filled between the guard and
/// the hand-over: the message is not handed over, and the event (or its step) ends with `verdict`.
struct FrequencyCapReached: Error {
    var verdict: GuardVerdict
}

/// A marketing message counted against its customer's frequency cap at hand-over, so that a
/// hand-over that fails can take it back.
struct FrequencyCount: Sendable {
    var key: String
    var day: CounterWindow
}

/// Frequency and time in a run (docs/decisions/frequency-and-quiet-hours.md): quiet hours move a
/// planned send time, the frequency cap drops a marketing message before any writer is paid for,
/// and the hand-over counts it atomically.
extension Run {
    /// The customer's zone for quiet hours: a zone the customer's record or the event names, else
    /// their address's, else the shop's. Nil when no quiet hours are configured.
    func contactZone(record: CustomerRecord?, reference: CustomerReference?) -> (
        zone: TimeZone, source: CustomerTimeZone.Source
    )? {
        guard let quiet = configuration.contact.quietHours else { return nil }
        return CustomerTimeZone.resolve(
            recordZone: record?.timeZone ?? reference?.timeZone, region: reference?.region, shop: quiet.shopTimeZone)
    }

    /// Quiet hours, then the frequency cap, on planned messages (after the suppression screen,
    /// before anything is written). Each moved send time gets a `quiet_hours` record (the planned
    /// and the moved time, the zone and where it came from); each marketing message at the cap is
    /// dropped. When every message is dropped the verdict stops the event; when some stay, a
    /// `dropped` record names each capped step.
    func screenContact(
        _ messages: [PlannedMessage], zone: (zone: TimeZone, source: CustomerTimeZone.Source)?
    ) async throws -> (kept: [PlannedMessage], verdict: GuardVerdict?) {
        var timed: [PlannedMessage] = []
        for var message in messages {
            if let quiet = configuration.contact.quietHours, let zone, Self.keepsQuietHours(message, now: now),
                let moved = quiet.deferral(of: message.sendAt, now: now, in: zone.zone)
            {
                try record(
                    "quiet_hours",
                    [
                        "step": .string(message.step), "planned": .string(Timestamp.format(message.sendAt)),
                        "moved_to": .string(Timestamp.format(moved)), "zone": .string(zone.zone.identifier),
                        "zone_source": .string(zone.source.rawValue), "quiet_hours": .string(quiet.window),
                    ])
                message.sendAt = moved
            }
            timed.append(message)
        }
        guard let cap = configuration.contact.frequency else { return (timed, nil) }
        var kept: [PlannedMessage] = []
        var capped: [(step: String, verdict: GuardVerdict)] = []
        for message in timed {
            guard !message.isTransactional else {
                kept.append(message)
                continue
            }
            let (counts, dayCap) = try await frequencyCounts(message, cap: cap)
            let today = counts[cap.windowDays - 1]
            if today >= dayCap {
                capped.append((message.step, cap.verdict(counted: Int64(cap.maximum) - dayCap + today)))
            } else {
                kept.append(message)
            }
        }
        if kept.isEmpty, let first = capped.first { return ([], first.verdict) }
        for (step, verdict) in capped {
            try record("dropped", ["step": .string(step), "reason": .string(verdict.reason)])
        }
        return (kept, nil)
    }

    /// Whether quiet hours apply: to every marketing message, and to a transactional one planned
    /// for later (a getting-started note); a transactional message due now (a thank-you, a
    /// payment note) answers what the customer just did and goes at once.
    static func keepsQuietHours(_ message: PlannedMessage, now: Date) -> Bool {
        !message.isTransactional || message.sendAt > now.addingTimeInterval(60)
    }

    /// The counts of the days around a marketing message's send day and the cap of its day.
    func frequencyCounts(_ message: PlannedMessage, cap: FrequencyCap) async throws -> (
        counts: [Int64], dayCap: Int64
    ) {
        let key = FrequencyCap.counterKey(customerKey: message.customerID)
        var counts: [Int64] = []
        do {
            for day in cap.days(around: message.sendAt) {
                counts.append(try await stages.state.count(key, in: day))
            }
        } catch {
            throw Failure(.stateUnavailable, "frequency cap: \(error)", retryable: true)
        }
        return (counts, cap.dayCap(counts: counts))
    }

    /// Counts a marketing message against its customer's cap just before it is handed over, in one
    /// atomic step of the state store: two handlings at the last slot of a day cannot both pass.
    /// Throws `FrequencyCapReached` when another handling took it since the guard; nil for a
    /// transactional message or without a cap. A `frequency` record says what was counted.
    func countFrequency(_ message: PlannedMessage) async throws -> FrequencyCount? {
        guard let cap = configuration.contact.frequency, !message.isTransactional else { return nil }
        let (_, dayCap) = try await frequencyCounts(message, cap: cap)
        let key = FrequencyCap.counterKey(customerKey: message.customerID)
        let day = CounterWindow.day(containing: message.sendAt)
        let outcome: CounterOutcome
        do {
            outcome =
                dayCap > 0
                ? try await stages.state.increment(key, by: 1, in: day, cap: dayCap)
                : .capReached(total: try await stages.state.count(key, in: day))
        } catch {
            throw Failure(.stateUnavailable, "frequency cap: \(error)", retryable: true)
        }
        switch outcome {
        case .capReached(let total):
            throw FrequencyCapReached(verdict: cap.verdict(counted: Int64(cap.maximum) - dayCap + total))
        case .counted(let total):
            try record(
                "frequency",
                [
                    "step": .string(message.step), "day": .string(Timestamp.day(day.start)),
                    "counted": .int(Int(total)), "day_cap": .int(Int(dayCap)),
                ])
            return FrequencyCount(key: key, day: day)
        }
    }

    /// Takes back a count whose hand-over failed, so the retry of the event finds its slot. A store
    /// that fails here leaves the slot taken (the safe side: one email fewer), and says so.
    func uncount(_ counted: FrequencyCount?) async {
        guard let counted else { return }
        do {
            _ = try await stages.state.increment(counted.key, by: -1, in: counted.day, cap: nil)
        } catch {
            logger.error(
                "a frequency count could not be taken back after a failed hand-over",
                metadata: ["key": "\(counted.key)", "error": "\(error)"])
        }
    }
}

import Foundation

/// The folders of a data directory that can hold a customer's personal data, as the embedded
/// stages lay them out (`FunctionEnvironment.embeddedStages`).
package struct PrivacyFolders: Sendable {
    /// `<data>/audit`: the records, and `content/` beside them.
    package var audit: URL
    /// `<data>/review`: review items (`.json` and `.eml`), `withdrawn/` and any other subfolder.
    package var review: URL
    /// `<data>/outbox`: scheduled and sent `.eml` files, `cancelled/`, `claimed/`, `sent/`.
    package var outbox: URL
    /// `<data>/dead-letter`: refused events byte for byte, with their `.error` notes.
    package var deadLetters: URL

    /// The folders under a data directory.
    package init(dataDirectory: URL) {
        audit = dataDirectory.appendingPathComponent("audit")
        review = dataDirectory.appendingPathComponent("review")
        outbox = dataDirectory.appendingPathComponent("outbox")
        deadLetters = dataDirectory.appendingPathComponent("dead-letter")
    }

    /// The audit's content folder.
    package var content: URL { FolderContentStore.directory(auditRoot: audit) }
}

/// What Tidings holds on one customer, found by their id: the audit trail (`AuditTrail`), the
/// content its records reference, review items, outbox messages in every state, dead letters that
/// mention them, and suppression entries. What `tidings privacy export` writes and `erase` removes.
package struct CustomerData: Sendable {
    /// One file that holds the customer's data, and what it is.
    package struct Item: Sendable, Hashable {
        /// The file.
        package var file: URL
        /// Files that belong with it and go with it (a review item's `.eml`, a dead letter's
        /// `.error` note, a sent message's `.receipt`).
        package var companions: [URL]
        /// For outbox messages: `scheduled` (send time not yet come), `sent`, `cancelled` or
        /// `sending` (claimed by a dispatcher); for review items the folder (`pending`,
        /// `withdrawn`, ...); for dead letters `refused`.
        package var state: String
    }

    /// The customer's id.
    package var customerID: String
    /// What the audit says about them.
    package var trail: AuditTrail
    /// Review items of their events.
    package var reviewItems: [Item]
    /// Outbox messages of their events, `cancelled/` and dispatched ones included.
    package var outboxMessages: [Item]
    /// Refused events that are theirs or mention them (by id, or by an address of theirs).
    package var deadLetters: [Item]
    /// Suppression entries that cover them (by id, or by an address of theirs).
    package var suppression: [SuppressionEntry]
    /// The addresses their messages were addressed to (from the `.eml` files), lower-cased.
    package var addresses: Set<String>

    /// Finds a suppression entry by customer id or address hash (one of them set); the state
    /// store's `suppression(customerID:addressHash:)` is one.
    package typealias SuppressionLookup =
        @Sendable (_ customerID: String?, _ addressHash: String?) async throws ->
        SuppressionEntry?

    /// Finds everything under `folders` for `customerID`; an outbox message whose send time is
    /// after `now` is `scheduled`. `suppression` is asked by the id and by
    /// the hash of each address found (in the files, and in the `deliver` records' `to_hash`, which
    /// outlive an erasure). Throws `AuditError` when the audit cannot be read, and what
    /// `suppression` throws.
    package static func locate(
        customerID: String, folders: PrivacyFolders, now: Date, suppression: SuppressionLookup
    ) async throws -> CustomerData {
        let trail =
            FileManager.default.fileExists(atPath: folders.audit.path)
            ? try AuditTrail.read(root: folders.audit, subject: .customer(customerID))
            : AuditTrail(subject: .customer(customerID), records: [], eventIDs: [], sharedContent: [])
        let events = Set(trail.eventIDs)
        var data = CustomerData(
            customerID: customerID, trail: trail, reviewItems: [], outboxMessages: [], deadLetters: [],
            suppression: [], addresses: [])

        for file in files(under: folders.review) where file.pathExtension == "json" {
            guard let item = try? JSONParser.parse(Array(Data(contentsOf: file))).objectValue,
                let eventID = item["event_id"]?.stringValue, events.contains(eventID)
            else { continue }
            var companions: [URL] = []
            if let email = item["email_file"]?.stringValue {
                let eml = file.deletingLastPathComponent().appendingPathComponent(email)
                if FileManager.default.fileExists(atPath: eml.path) { companions.append(eml) }
            }
            if let to = item["to"]?.stringValue { data.addresses.insert(to.lowercased()) }
            let folder = file.deletingLastPathComponent().standardizedFileURL
            let state =
                folder == folders.review.standardizedFileURL ? "pending" : folder.lastPathComponent
            data.reviewItems.append(Item(file: file, companions: companions, state: state))
        }

        for file in files(under: folders.outbox) where file.lastPathComponent.contains(".eml") {
            guard !file.lastPathComponent.hasSuffix(".receipt"),
                let headers = OutboxEmailService.headers(of: file),
                let eventID = headers["x-tidings-event-id"], events.contains(eventID)
            else { continue }
            if let to = headers["to"] { data.addresses.insert(Self.address(inMailbox: to)) }
            let folder = file.deletingLastPathComponent().lastPathComponent
            let state: String
            switch folder {
            case "cancelled": state = "cancelled"
            case "sent": state = "sent"
            case "claimed": state = "sending"
            default:
                let sendAt = headers["x-tidings-send-at"].flatMap(Timestamp.parse) ?? .distantPast
                state = sendAt > now ? "scheduled" : "sent"
            }
            let receipt = URL(fileURLWithPath: file.path + ".receipt")
            let companions = FileManager.default.fileExists(atPath: receipt.path) ? [receipt] : []
            data.outboxMessages.append(Item(file: file, companions: companions, state: state))
        }

        for file in files(under: folders.deadLetters) where file.pathExtension == "json" {
            let note = URL(fileURLWithPath: file.path + ".error")
            let noteEvent = (try? JSONParser.parse(Array(Data(contentsOf: note))))?.objectValue?["event_id"]?
                .stringValue
            let body = (try? Data(contentsOf: file)) ?? Data()
            guard
                noteEvent.map(events.contains) == true
                    || mentions(body, customerID: customerID, addresses: data.addresses)
            else { continue }
            let companions = FileManager.default.fileExists(atPath: note.path) ? [note] : []
            data.deadLetters.append(Item(file: file, companions: companions, state: "refused"))
        }

        var hashes = Set(data.addresses.map(SuppressionKeys.addressHash))
        for record in trail.records where record.stage == "deliver" {
            if let hash = record.facts["to_hash"]?.stringValue { hashes.insert(hash) }
        }
        var entries: [SuppressionEntry] = []
        let asked: [(String?, String?)] = [(customerID, nil)] + hashes.sorted().map { (nil, $0) }
        for (id, hash) in asked {
            if let entry = try await suppression(id, hash), !entries.contains(entry) {
                entries.append(entry)
            }
        }
        data.suppression = entries
        return data
    }

    /// Whether a refused event's bytes name the customer: a JSON object under a `customer` key
    /// (or the object itself, with `customer_id`) whose id is theirs, at any depth, also inside a
    /// recorded delivery's string body; or one of their addresses. A body that is not JSON (the
    /// usual reason it was refused) is searched for the id as a quoted string or after
    /// `"customer_id":`.
    static func mentions(_ body: Data, customerID: String, addresses: Set<String>) -> Bool {
        let text = String(decoding: body, as: UTF8.self)
        let lower = text.lowercased()
        if addresses.contains(where: { lower.contains($0) }) { return true }
        guard let value = try? JSONParser.parse(Array(body)) else {
            return text.contains("\"customer_id\":\"\(customerID)\"") || text.contains("\"customer_id\":\(customerID)")
                || text.contains("\"customer_id\": \(customerID)")
        }
        return names(value, customerID: customerID)
    }

    private static func names(_ value: JSONValue, customerID: String) -> Bool {
        switch value {
        case .object(let fields):
            for (key, field) in fields {
                if key == "customer_id" || key == "customerId", id(field) == customerID { return true }
                if key == "customer", let object = field.objectValue, id(object["id"]) == customerID { return true }
                if names(field, customerID: customerID) { return true }
            }
            return false
        case .array(let items):
            return items.contains { names($0, customerID: customerID) }
        case .string(let text):
            guard text.hasPrefix("{"), let inner = try? JSONParser.parse(Array(text.utf8)) else { return false }
            return names(inner, customerID: customerID)
        default:
            return false
        }
    }

    /// An id as text, whatever JSON type the payload used.
    private static func id(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text)?: text
        case .int(let number)?: String(number)
        default: nil
        }
    }

    /// The address of a To header value ("Maya <maya@x.example>" -> "maya@x.example"), lower-cased.
    static func address(inMailbox value: String) -> String {
        guard let open = value.lastIndex(of: "<"), let close = value.lastIndex(of: ">"), open < close else {
            return value.trimmingCharacters(in: .whitespaces).lowercased()
        }
        return String(value[value.index(after: open)..<close]).lowercased()
    }

    /// Every regular file under `folder`, hidden ones (atomic writers' temporaries, the outbox's
    /// `.series/` index) excluded, in path order; none when the folder does not exist.
    package static func files(under folder: URL) -> [URL] {
        guard
            let enumerator = FileManager.default.enumerator(
                at: folder, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
        else { return [] }
        var found: [URL] = []
        while let file = enumerator.nextObject() as? URL {
            if (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { found.append(file) }
        }
        return found.sorted { $0.path < $1.path }
    }
}

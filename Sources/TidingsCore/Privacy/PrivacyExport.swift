import Foundation

/// What Tidings holds on one customer as one JSON document (`tidings privacy export`): the audit
/// trail, the content its records reference, review items, outbox messages in every state,
/// suppression entries and dead letters, each with the file it came from.
package enum PrivacyExport {
    /// The document for `data`, found under `folders`, stamped `exportedAt`. Content the records
    /// reference but the store no longer holds (erased) is listed under `content_not_held`; files
    /// that vanished since `locate` are left out; text that is JSON is embedded as JSON, anything
    /// else as a string.
    package static func document(_ data: CustomerData, folders: PrivacyFolders, exportedAt: Date) -> JSONValue {
        let store = FolderContentStore(directory: folders.content)
        var documents: [String: JSONValue] = [:]
        var erased: [String] = []
        for address in data.trail.contentAddresses {
            if let bytes = try? store.get(address) {
                documents[address] = embedded(bytes)
            } else {
                erased.append(address)
            }
        }
        func files(_ items: [CustomerData.Item], key: String) -> JSONValue {
            .array(
                items.compactMap { item in
                    guard let bytes = try? Data(contentsOf: item.file) else { return nil }
                    var entry: [String: JSONValue] = [
                        "file": .string(item.file.path), "state": .string(item.state), key: embedded(Array(bytes)),
                    ]
                    for companion in item.companions {
                        guard let extra = try? Data(contentsOf: companion) else { continue }
                        entry[companion.pathExtension] = embedded(Array(extra))
                    }
                    return .object(entry)
                })
        }
        return .object([
            "customer_id": .string(data.customerID),
            "exported_at": .string(Timestamp.format(exportedAt)),
            "events": .array(data.trail.eventIDs.map(JSONValue.string)),
            "audit_records": .array(data.trail.records.map(\.json)),
            "content": .object(documents),
            "content_not_held": .array(erased.map(JSONValue.string)),
            "review_items": files(data.reviewItems, key: "item"),
            "outbox": files(data.outboxMessages, key: "email"),
            "dead_letters": files(data.deadLetters, key: "body"),
            "suppression": .array(
                data.suppression.map { entry in
                    var object: [String: JSONValue] = [
                        "reason": .string(entry.reason.rawValue), "source": .string(entry.source),
                        "time": .string(Timestamp.format(entry.time)),
                    ]
                    if let id = entry.customerID { object["customer_id"] = .string(id) }
                    if let hash = entry.addressHash { object["address_sha256"] = .string(hash) }
                    return .object(object)
                }),
        ])
    }

    /// Bytes as JSON when they parse as JSON, else as text.
    static func embedded(_ bytes: [UInt8]) -> JSONValue {
        if let first = bytes.first(where: { $0 != 32 && $0 != 10 && $0 != 13 && $0 != 9 }),
            first == UInt8(ascii: "{") || first == UInt8(ascii: "["), let value = try? JSONParser.parse(bytes)
        {
            return value
        }
        return .string(String(decoding: bytes, as: UTF8.self))
    }
}

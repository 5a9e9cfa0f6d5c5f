import Foundation

extension SuppressionEntry {
    /// The entry as the state store keeps it: one JSON object with `customer_id`, `address_hash`,
    /// `reason`, `source` and `time` (ISO 8601), keys sorted. Both backends store these bytes.
    package var stateValue: String {
        var members: [String: JSONValue] = [
            "reason": .string(reason.rawValue), "source": .string(source), "time": .string(Timestamp.format(time)),
        ]
        if let customerID { members["customer_id"] = .string(customerID) }
        if let addressHash { members["address_hash"] = .string(addressHash) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a JSONValue of strings cannot fail.
        return String(decoding: (try? encoder.encode(JSONValue.object(members))) ?? Data(), as: UTF8.self)
    }

    /// Reads `stateValue`'s form back. Throws `StateStoreError.corrupt` naming `key` when the text
    /// is not such an object, the reason is unknown or the time unreadable.
    package init(stateValue: String, key: String) throws(StateStoreError) {
        func corrupt(_ reason: String) -> StateStoreError { StateStoreError(code: .corrupt, key: key, reason: reason) }
        guard let members = (try? JSONParser.parse(stateValue))?.objectValue else {
            throw corrupt("the suppression entry is not a JSON object")
        }
        guard let text = members["reason"]?.stringValue, let reason = SuppressionReason(rawValue: text) else {
            throw corrupt("the suppression entry's reason is missing or unknown")
        }
        guard let timeText = members["time"]?.stringValue, let time = Timestamp.parse(timeText) else {
            throw corrupt("the suppression entry's time is missing or not ISO 8601")
        }
        self.init(
            customerID: members["customer_id"]?.stringValue, addressHash: members["address_hash"]?.stringValue,
            reason: reason, source: members["source"]?.stringValue ?? "", time: time)
    }
}

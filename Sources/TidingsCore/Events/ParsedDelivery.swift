/// A delivery read once (`EventDecoder.read`): the bytes as they arrived, kept whole for the
/// dead-letter folder and the fallback event id, and the webhook they hold with its body parsed
/// into a JSON tree, or the bad input that stopped the reading. The signature check, the staleness
/// check and the event decoder all take this value, so none of them parses the bytes again.
package struct ParsedDelivery: Sendable {
    /// The webhook a delivery holds, and its body parsed.
    package struct Content: Sendable {
        /// The webhook: the one a recorded delivery wraps (its headers, `received_at`, and its body
        /// as the exact bytes that arrived, which a signature covers), else the delivery itself.
        package var delivery: InboundDelivery
        /// `delivery.body` parsed.
        package var document: JSONValue
    }

    /// The delivery as it arrived.
    package var raw: InboundDelivery
    /// What it holds, or the `InputError` (naming the JSON path) that stopped the reading.
    package var content: Result<Content, InputError>
}

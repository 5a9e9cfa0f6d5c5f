/// A delivery read once (`EventDecoder.read`): the bytes as they arrived, kept whole for the
/// dead-letter folder and the fallback event id, and the webhook they hold with its body parsed
/// into a JSON tree, or the bad input that stopped the reading. The signature check, the staleness
/// check and the event decoder all take this value, so none of them parses the bytes again.
public struct ParsedDelivery: Sendable {
    /// The webhook a delivery holds, and its body parsed.
    public struct Content: Sendable {
        /// The webhook: the one a recorded delivery wraps (its headers, `received_at`, and its body
        /// as the exact bytes that arrived, which a signature covers), else the delivery itself.
        public var delivery: Delivery
        /// `delivery.body` parsed.
        public var document: JSONValue
    }

    /// The delivery as it arrived.
    public var raw: Delivery
    /// What it holds, or the `InputError` (naming the JSON path) that stopped the reading.
    public var content: Result<Content, InputError>
}

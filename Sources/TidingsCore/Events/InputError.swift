import Foundation

/// Bad input: an event Tidings cannot handle as delivered. A platform retry cannot help, so the
/// event ends `rejected_input` and its raw bytes go to the dead-letter folder for a replay after a
/// fix. The message always names the field (as a JSON path) and the reason.
package struct InputError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of bad input it is; the raw value appears in outcomes and the audit.
    package enum Code: String, Sendable, Hashable {
        /// The bytes are not JSON.
        case malformedJSON = "malformed_json"
        /// A required field is absent or null.
        case missingField = "missing_field"
        /// A field has the wrong type or an unusable value.
        case invalidField = "invalid_field"
        /// The topic or event name is not one this function handles.
        case unsupportedTopic = "unsupported_topic"
        /// The body is larger than the configured limit.
        case oversized = "oversized"
        /// The payload shape matches no known input.
        case unrecognizedShape = "unrecognized_shape"
    }

    /// What kind of bad input it is.
    package var code: Code
    /// JSON path of the offending field ("$.payload.customer.id"); "$" for the whole document.
    package var path: String
    /// What is wrong, in words an operator understands.
    package var reason: String

    /// Creates an error; `path` is a JSON path such as "$.line_items[0].price".
    package init(_ code: Code, path: String, reason: String) {
        self.code = code
        self.path = path
        self.reason = reason
    }

    /// "code at path: reason", as the outcome's reason shows it.
    package var description: String { "\(code.rawValue) at \(path): \(reason)" }
}

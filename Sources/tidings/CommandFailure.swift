import Foundation
import TidingsCore

/// A command that could not do its work for a reason that is not a wrong use of it (a file that
/// cannot be read, a folder that is not what it should be): printed as it is, without usage.
struct CommandFailure: Error, CustomStringConvertible {
    /// The sentence to print.
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

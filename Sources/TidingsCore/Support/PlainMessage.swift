import Foundation

/// The sentence to show a person for an error: the error's own description for Tidings' error
/// types, and a plain reading of Foundation's and the decoders' errors, which otherwise print as
/// `NSCocoaErrorDomain Code=4` or `keyNotFound(CodingKeys(...))` dumps. The CLI prints these, and
/// errors that wrap a Foundation error use them for their reason.
package enum PlainMessage {
    /// The plain sentence for a decoding or file-system error, nil for any other error (whose own
    /// description is already one, or which ArgumentParser handles).
    package static func replacing(_ error: any Error) -> String? {
        if error is DecodingError || error is CocoaError { return of(error) }
        let domain = (error as NSError).domain
        return domain == NSCocoaErrorDomain || domain == NSPOSIXErrorDomain ? of(error) : nil
    }

    /// The sentence to print for any error.
    package static func of(_ error: any Error) -> String {
        switch error {
        case let error as DecodingError:
            return decoding(error)
        case let error as CocoaError:
            return fileSystem(error as NSError)
        default:
            let nsError = error as NSError
            if nsError.domain == NSCocoaErrorDomain || nsError.domain == NSPOSIXErrorDomain {
                return fileSystem(nsError)
            }
            return "\(error)"
        }
    }

    static func decoding(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }
            return "$" + keys.joined()
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "the JSON has no \(path(context)).\(key.stringValue)"
        case .typeMismatch(let type, let context):
            return "\(path(context)) is not \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context)) is null, expected \(typeName(type))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "\(path(context)) is not a valid value"
        @unknown default:
            return "not the expected JSON"
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Double.Type, is Decimal.Type: "a number"
        case is Bool.Type: "true or false"
        case is Date.Type: "an ISO 8601 date"
        default: "the expected kind of value"
        }
    }

    static func fileSystem(_ error: NSError) -> String {
        let path =
            (error.userInfo[NSFilePathErrorKey] as? String)
            ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
        var reason: String
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            reason = String(cString: strerror(Int32(underlying.code)))
        } else if error.domain == NSPOSIXErrorDomain {
            reason = String(cString: strerror(Int32(error.code)))
        } else {
            switch CocoaError.Code(rawValue: error.code) {
            case .fileNoSuchFile, .fileReadNoSuchFile: reason = "no such file or folder"
            case .fileReadNoPermission, .fileWriteNoPermission: reason = "permission denied"
            case .fileWriteOutOfSpace: reason = "no space left on the device"
            case .fileReadCorruptFile: reason = "the file is damaged or not in the expected format"
            case .fileWriteFileExists: reason = "a file of that name exists already"
            default: reason = "the file operation failed"
            }
        }
        return path.map { "\($0): \(reason)" } ?? reason
    }
}

import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the audit keeps what a writer was asked and answered: whole documents (the request the
/// model saw, its raw answer, the decoded draft, the validator's findings) stored under the
/// SHA-256 of their bytes and referenced by that hash from audit records, so the records' chain
/// covers them. Write-once: identical content is stored once. Never given a secret: model
/// exchanges hold bodies only, never headers.
package protocol ContentStore: Sendable {
    /// Stores `bytes` (unless already stored) and returns their SHA-256 as 64 lowercase hex
    /// digits. Throws when they could not be written.
    func put(_ bytes: [UInt8]) throws -> String
    /// The bytes stored under `hash`, or nil when there are none.
    func get(_ hash: String) throws -> [UInt8]?
}

extension ContentStore {
    /// The SHA-256 of `bytes` as 64 lowercase hex digits: the name content is stored under.
    package static func address(of bytes: [UInt8]) -> String {
        Hex.encode(SHA256.hash(data: bytes))
    }
}

/// The audit facts that reference content by hash, in the order `tidings audit show` prints them.
package enum ContentReference: String, Sendable, CaseIterable {
    /// The whole request the writer saw (a model's request body, or the prompt as canonical JSON).
    case request = "request_sha256"
    /// The raw answer (a model's response body, or the writer's text).
    case answer = "answer_sha256"
    /// The decoded draft, as canonical JSON.
    case draft = "draft_sha256"
    /// The validator's findings, score and decision, as canonical JSON.
    case findings = "findings_sha256"
    /// The draft before a reviewer's edit, as canonical JSON (`draft_sha256` of that record is after).
    case draftBefore = "draft_before_sha256"

    /// Whether `text` looks like a content address (64 lowercase hex digits).
    package static func isAddress(_ text: some StringProtocol) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

/// Content in a folder, `<data>/audit/content/<sha256>`: each file written atomically (a
/// temporary file renamed into place), and not written again when a file of that name exists.
package struct FolderContentStore: ContentStore {
    /// The folder that holds the content files.
    package let directory: URL

    /// A store in `directory` (created on the first write).
    package init(directory: URL) {
        self.directory = directory
    }

    /// The folder content goes to under an audit root: `<audit>/content`.
    package static func directory(auditRoot: URL) -> URL { auditRoot.appendingPathComponent("content") }

    /// Writes the bytes under their hash unless a file of that name is there already. Throws
    /// `FileWriteError` when the write fails.
    package func put(_ bytes: [UInt8]) throws -> String {
        let hash = Self.address(of: bytes)
        let path = directory.appendingPathComponent(hash).path
        if access(path, F_OK) == 0 { return hash }
        _ = try AtomicFile.write(Data(bytes), directory: directory, name: hash, sync: false)
        return hash
    }

    /// Reads the file named `hash`; nil when it is missing (or `hash` is not an address).
    package func get(_ hash: String) throws -> [UInt8]? {
        guard ContentReference.isAddress(hash) else { return nil }
        let url = directory.appendingPathComponent(hash)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return Array(try Data(contentsOf: url))
    }
}

/// One way to write a document as canonical JSON: object keys sorted by their UTF-8 bytes, no
/// spaces, so equal documents have equal bytes (and one content address).
package enum CanonicalJSON {
    /// The canonical bytes of `value`.
    package static func bytes(_ value: JSONValue) -> [UInt8] {
        var bytes: [UInt8] = []
        AuditRecordFormat.appendJSON(value, to: &bytes)
        return bytes
    }

}

import Synchronization
import TidingsCore

/// A content store that keeps documents in memory, by address: for tests that assert on what
/// the audit kept, and for benchmarks of the stages without disk I/O.
package final class InMemoryContentStore: ContentStore {
    private let documents = Mutex<[String: [UInt8]]>([:])

    /// An empty store.
    package init() {}

    /// Keeps `bytes` under their SHA-256 (once) and returns it.
    package func put(_ bytes: [UInt8]) throws -> String {
        let hash = Self.address(of: bytes)
        documents.withLock { $0[hash] = $0[hash] ?? bytes }
        return hash
    }

    /// The bytes kept under `hash`, or nil.
    package func get(_ hash: String) throws -> [UInt8]? { documents.withLock { $0[hash] } }

    /// Every address kept.
    package var addresses: Set<String> { documents.withLock { Set($0.keys) } }

    /// The document at `hash` as UTF-8 text, or nil.
    package func text(_ hash: String) -> String? {
        documents.withLock { $0[hash] }.map { String(decoding: $0, as: UTF8.self) }
    }
}

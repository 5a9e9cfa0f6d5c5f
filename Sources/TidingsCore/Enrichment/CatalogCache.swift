/// Loads a client's catalog once and hands the same value to every caller, including callers
/// that ask while the first load is still running. A failed load is forgotten, so the next call
/// tries again instead of repeating the error for the life of the process.
package actor CatalogCache {
    private var loading: Task<Catalog, any Error>?

    /// Creates an empty cache.
    package init() {}

    /// The cached catalog, loading it with `load` on first use.
    package func value(_ load: @escaping @Sendable () async throws -> Catalog) async throws -> Catalog {
        if let loading {
            return try await loading.value
        }
        let task = Task { try await load() }
        loading = task
        do {
            return try await task.value
        } catch {
            loading = nil
            throw error
        }
    }
}

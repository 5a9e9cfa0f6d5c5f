import Foundation

/// Where the shared state lives (docs/decisions/state-store.md), read once at start.
/// `TIDINGS_STATE` picks the backend: `sqlite` (the default) keeps `<data>/state.sqlite3`;
/// `dynamodb` needs `TIDINGS_DYNAMODB_TABLE` and the AWS settings (`AWSSettings`, endpoint
/// override `AWS_ENDPOINT_URL_DYNAMODB`).
package struct StateSettings: Sendable {
    /// The backend behind `TIDINGS_STATE`.
    package enum Backend: String, Sendable, CaseIterable {
        /// A SQLite file under the data folder: every process on one machine.
        case sqlite
        /// A DynamoDB table: every Lambda instance.
        case dynamodb
    }

    /// The DynamoDB table and how to reach it.
    package struct DynamoDB: Sendable {
        /// `TIDINGS_DYNAMODB_TABLE`.
        package var table: String
        /// Region, endpoint (`https://dynamodb.REGION.amazonaws.com` unless overridden) and credentials.
        package var aws: AWSSettings
    }

    /// The chosen backend.
    package var backend: Backend = .sqlite
    /// The table's settings when `backend` is `.dynamodb`; nil otherwise.
    package var dynamoDB: DynamoDB?

    /// SQLite under the data folder.
    package init() {}

    /// Reads the settings. Throws `ConfigurationError` naming the variable: an unknown
    /// `TIDINGS_STATE`; with `dynamodb`, a missing or malformed `TIDINGS_DYNAMODB_TABLE` or what
    /// `AWSSettings.load` refuses.
    package static func load(environment: [String: String]) throws(ConfigurationError) -> StateSettings {
        func value(_ name: String) -> String? {
            guard let text = environment[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
                return nil
            }
            return text
        }
        var settings = StateSettings()
        if let text = value("TIDINGS_STATE") {
            guard let backend = Backend(rawValue: text.lowercased()) else {
                throw ConfigurationError(
                    key: "TIDINGS_STATE",
                    reason: "'\(text.prefix(40))' is not one of "
                        + Backend.allCases.map(\.rawValue).joined(separator: ", "))
            }
            settings.backend = backend
        }
        guard settings.backend == .dynamodb else { return settings }
        guard let table = value("TIDINGS_DYNAMODB_TABLE") else {
            throw ConfigurationError(key: "TIDINGS_DYNAMODB_TABLE", reason: "required when TIDINGS_STATE=dynamodb")
        }
        // DynamoDB's rule for table names (CreateTable's TableName).
        guard (3...255).contains(table.count),
            table.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) })
        else {
            throw ConfigurationError(
                key: "TIDINGS_DYNAMODB_TABLE", reason: "must be 3 to 255 ASCII letters, digits, '_', '-' or '.'")
        }
        let aws = try AWSSettings.load(
            environment: environment, endpointKey: "AWS_ENDPOINT_URL_DYNAMODB",
            defaultEndpoint: { "https://dynamodb.\($0).amazonaws.com" }, requiredBy: "TIDINGS_STATE=dynamodb")
        settings.dynamoDB = DynamoDB(table: table, aws: aws)
        return settings
    }

    /// The store these settings describe: SQLite in `dataFolder`, or DynamoDB through `transport`
    /// (called only for DynamoDB). Throws what `SQLiteStateStore.init` throws.
    package func makeStore(dataFolder: URL, transport: () -> any HTTPTransport) throws(StateStoreError)
        -> any StateStore
    {
        if let dynamoDB {
            return DynamoDBStateStore(
                table: dynamoDB.table, endpoint: dynamoDB.aws.endpoint, region: dynamoDB.aws.region,
                credentials: dynamoDB.aws.credentials, transport: transport())
        }
        return try SQLiteStateStore(folder: dataFolder)
    }
}

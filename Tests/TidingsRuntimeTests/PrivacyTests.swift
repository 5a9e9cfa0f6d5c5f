import Foundation
import Testing
import TidingsCore
import TidingsDevKit

@testable import TidingsRuntime

/// The personal data in the recorded events and shops, by kind: every string under a personal key
/// of every JSON file under Events/ (the events themselves, the recorded shop and the win-back
/// base). The privacy tests look for these exact values, not only for their shapes.
struct RecordedPersonalData {
    var emails: Set<String> = []
    var phones: Set<String> = []
    var streets: Set<String> = []
    var lastNames: Set<String> = []
    var ipAddresses: Set<String> = []

    /// Keys compared lower-cased: REST and webhook spellings, and the Admin GraphQL ones
    /// (`emailAddress`, `lastName`) of the recorded Shopify answers.
    static let emailKeys: Set<String> = ["email", "contact_email", "customer_email", "email_address", "emailaddress"]
    static let phoneKeys: Set<String> = ["phone", "phone_number", "sms_marketing_phone"]
    static let streetKeys: Set<String> = ["address1", "address2", "street_1", "street_2"]
    static let lastNameKeys: Set<String> = ["last_name", "lastname"]
    static let ipKeys: Set<String> = ["registration_ip_address", "browser_ip", "customer_ip"]

    /// Reads every JSON file under `folder`.
    static func read(_ folder: URL) throws -> RecordedPersonalData {
        var found = RecordedPersonalData()
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
        while let file = enumerator?.nextObject() as? URL {
            guard let data = FileManager.default.contents(atPath: file.path) else { continue }
            switch file.pathExtension {
            case "json":
                if let value = try? JSONParser.parse(Array(data)) { found.collect(value) }
            case "jsonl":
                // A recorded bulk export: one object a line.
                for line in data.split(separator: UInt8(ascii: "\n")) {
                    if let value = try? JSONParser.parse(Array(line)) { found.collect(value) }
                }
            default:
                continue
            }
        }
        return found
    }

    mutating func collect(_ value: JSONValue) {
        switch value {
        case .object(let fields):
            for (key, field) in fields {
                let key = key.lowercased()
                if let text = field.stringValue?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
                    if Self.emailKeys.contains(key), text.contains("@") { emails.insert(text.lowercased()) }
                    if Self.phoneKeys.contains(key) { phones.insert(String(text.filter(\.isNumber))) }
                    if Self.streetKeys.contains(key) { streets.insert(text.lowercased()) }
                    if Self.lastNameKeys.contains(key) { lastNames.insert(text) }
                    if Self.ipKeys.contains(key) { ipAddresses.insert(text) }
                }
                collect(field)
            }
        case .array(let items):
            for item in items { collect(item) }
        case .string(let text):
            // A recorded delivery carries the platform's body as a string.
            if text.hasPrefix("{"), let inner = try? JSONParser.parse(Array(text.utf8)) { collect(inner) }
        default:
            break
        }
    }

    /// Every recorded personal value found in `text`, named by kind ("last name Okafor").
    func leaks(in text: String) -> [String] {
        var leaks: [String] = []
        let lower = text.lowercased()
        for email in emails where lower.contains(email) { leaks.append("email address \(email)") }
        // Digits of each run of phone characters, so "+1 (415) 555-0134" matches however spelled.
        let runs = text.split { !($0.isNumber || "+-(). ".contains($0)) }.map { String($0.filter(\.isNumber)) }
        for phone in phones where phone.count >= 7 && runs.contains(where: { $0.contains(phone) }) {
            leaks.append("phone number \(phone)")
        }
        for street in streets where lower.contains(street) { leaks.append("street address \(street)") }
        for ip in ipAddresses where text.contains(ip) { leaks.append("IP address \(ip)") }
        // Whole words, case as written: a last name inside another word is not that name.
        let words = Set(text.split { !($0.isLetter || $0 == "'" || $0 == "-") }.map(String.init))
        for name in lastNames where words.contains(name) { leaks.append("last name \(name)") }
        return leaks
    }
}

/// `text` without the values of `message_id` keys: a Message-ID (`<hash@shop domain>`) has the
/// shape of an address and names nobody.
func withoutMessageIDs(_ text: String) -> String {
    text.replacingOccurrences(of: #""message_id"\s*:\s*"[^"]*""#, with: "", options: .regularExpression)
}

/// Every run shaped like an email address (`local@domain.tld`) in `text`: the shape check for JSON
/// text, where `PIIScanner`'s word split sees a whole line as one word.
func emailAddresses(in text: String) -> [String] {
    let pattern = #"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"#
    guard let expression = try? NSRegularExpression(pattern: pattern) else { return [] }
    return expression.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
        Range($0.range, in: text).map { String(text[$0]) }
    }
}

/// Issue 15, Privacy: for every recorded event of every flow, no prompt a writer receives holds an
/// email address, phone number, street address or last name; and the audit names customers by id
/// and addresses by hash, the `deliver` record (the hand-over) being the only one that names the
/// recipient at all.
@Suite("Privacy: prompts and audit records over every recorded event")
struct PrivacyTests {
    static let events = RuntimeTestSupport.root.appendingPathComponent("Events")

    /// One replay of all of Events/ with a recording writer; the body gets the scratch folder, the
    /// results and the writer.
    static func replayAll<T>(
        _ body: (URL, [Replayer.Result], RecordingLanguageModel) async throws -> T
    ) async throws -> T {
        try await withScratch { scratch in
            let configuration = try RuntimeTestSupport.configuration(dataDirectory: scratch)
            let recorder = RecordingLanguageModel(wrapping: OfflineCopywriter())
            let files = try Replayer.eventFiles([events.path])
            // About a minute of CPU: on a thread of its own, not the shared pool's (see the executor).
            let executor = DedicatedThreadExecutor(name: "privacy-replay")
            defer { executor.shutdown() }
            let results = try await withTaskExecutorPreference(executor) {
                try await Replayer(
                    configuration: configuration, logger: RuntimeTestSupport.quietLogger, model: recorder
                )
                .replay(files)
            }
            return try await body(scratch, results, recorder)
        }
    }

    @Test("The recorded data has personal values of every kind to look for")
    func recordedDataHasPersonalValues() throws {
        let personal = try RecordedPersonalData.read(Self.events)
        // Figures of the recorded data: a test that found nothing to look for would prove nothing.
        #expect(personal.emails.count > 250)
        #expect(personal.lastNames.count > 30)
        #expect(!personal.phones.isEmpty)
        #expect(!personal.streets.isEmpty)
        #expect(personal.leaks(in: "Dear Maya Okafor").contains("last name Okafor"))
        let email = try #require(personal.emails.sorted().first)
        #expect(personal.leaks(in: "write to \(email.uppercased()) today") == ["email address \(email)"])
        // A phone is found however it is punctuated.
        let phone = try #require(personal.phones.sorted().first { $0.count >= 7 })
        let spelled = phone.enumerated().map { $0.offset % 3 == 2 ? "\($0.element)-" : "\($0.element)" }.joined()
        #expect(personal.leaks(in: "call (\(spelled)) today") == ["phone number \(phone)"])
    }

    /// One replay of all of Events/ (about a minute of CPU) serves both checks.
    @Test("Over every recorded event: no prompt holds personal data; the audit holds ids and hashes")
    func everyRecordedEvent() async throws {
        let personal = try RecordedPersonalData.read(Self.events)
        try await Self.replayAll { scratch, results, recorder in
            try promptsHoldNoPersonalData(personal, scratch, results, recorder)
            try auditHoldsIdsAndHashes(personal, scratch, results)
        }
    }

    /// No prompt of any flow, step or writer's turn holds recorded personal data or an address.
    func promptsHoldNoPersonalData(
        _ personal: RecordedPersonalData, _ scratch: URL, _ results: [Replayer.Result],
        _ recorder: RecordingLanguageModel
    ) throws {
        do {
            let requests = recorder.requests
            // Coverage: every flow, the win-back scan's children, the order series' steps, and
            // every message written has its prompt recorded.
            let flows = Set(requests.map(\.prompt.context.flow))
            #expect(flows == Set(FlowKind.allCases.map(\.rawValue)))
            #expect(requests.contains { $0.prompt.context.eventID.contains("/customer/") })
            let steps = Set(requests.compactMap(\.prompt.context.step))
            #expect(
                steps.isSuperset(of: ["thank_you", "getting_started", "review_request", "recommendations", "win_back"]))
            let lines = try ReplayGoldenTests.auditLines(scratch).map { try JSONParser.parse($0).objectValue ?? [:] }
            let promptRecords = lines.filter { $0["stage"] == "prompt" }
            #expect(requests.count == promptRecords.count, "one writer's request per prompt the pipeline built")
            #expect(results.contains { $0.report.outcome == .sent })

            for request in requests {
                let text =
                    request.prompt.system + "\n" + request.prompt.user
                    + (request.repair.map { $0.previousAnswer + "\n" + $0.problems.joined(separator: "\n") } ?? "")
                let event = request.prompt.context.eventID
                #expect(personal.leaks(in: text) == [], "\(event) \(request.prompt.context.step ?? "")")
                // Shapes too, for values the recorded data does not have (ids are long digit runs,
                // so only the email shape is asked).
                #expect(!PIIScanner.findings(in: text).contains("email address"), "\(event)")
            }

            // Every request the audit kept (any writer, any turn, the fixed notice included).
            let store = FolderContentStore(
                directory: FolderContentStore.directory(auditRoot: scratch.appendingPathComponent("audit")))
            var checked = 0
            for record in lines where record["stage"] == "generate" {
                guard let address = record["facts"]?.objectValue?["request_sha256"]?.stringValue else { continue }
                let document = String(decoding: try #require(try store.get(address)), as: UTF8.self)
                #expect(personal.leaks(in: document) == [], "\(record["event_id"]?.stringValue ?? "")")
                checked += 1
            }
            #expect(checked >= requests.count)
        }
    }

    /// Audit records name customers by id and addresses by hash; only `deliver` names the recipient.
    func auditHoldsIdsAndHashes(_ personal: RecordedPersonalData, _ scratch: URL, _ results: [Replayer.Result]) throws {
        do {
            let raw = try ReplayGoldenTests.auditLines(scratch)
            for line in raw {
                #expect(personal.leaks(in: line) == [], "\(line.prefix(160))")
                #expect(emailAddresses(in: withoutMessageIDs(line)) == [], "\(line.prefix(160))")
            }
            let lines = try raw.map { try JSONParser.parse($0).objectValue ?? [:] }
            // Customers are named by id where the pipeline learns them.
            let named = lines.filter { $0["stage"] == "normalize" && $0["facts"]?.objectValue?["customer_id"] != nil }
            #expect(!named.isEmpty)
            #expect(named.contains { $0["facts"]?.objectValue?["customer_id"]?.stringValue == "6100000001" })

            // The exception, pinned: the recipient appears only in `deliver` records, as the hash of
            // the address the email was handed to (the .eml's To), under `to_hash`.
            let recipientKeys: Set<String> = ["to", "to_hash", "recipient", "email", "address"]
            var delivered = 0
            for record in lines {
                let facts = record["facts"]?.objectValue ?? [:]
                let keys = Set(facts.keys).intersection(recipientKeys)
                guard record["stage"] == "deliver" else {
                    #expect(keys.isEmpty, "\(record["stage"]?.stringValue ?? "") names a recipient: \(keys)")
                    continue
                }
                #expect(keys == ["to_hash"])
                let reference = try #require(facts["reference"]?.stringValue)
                // A later cancellation moved the series' unsent steps to cancelled/.
                let handedOver = URL(fileURLWithPath: reference)
                let moved = handedOver.deletingLastPathComponent().appendingPathComponent(
                    "cancelled/" + handedOver.lastPathComponent)
                let headers = try #require(
                    OutboxEmailService.headers(of: handedOver) ?? OutboxEmailService.headers(of: moved), "\(reference)")
                let to = try #require(headers["to"])
                let address = String(to.split(separator: "<").last?.dropLast() ?? Substring(to))
                #expect(facts["to_hash"]?.stringValue == SuppressionKeys.addressHash(address))
                delivered += 1
            }
            let sentMessages = results.filter { $0.report.outcome == .sent }.compactMap(\.report.messages).count
            #expect(delivered >= sentMessages && delivered > 0)
        }
    }
}

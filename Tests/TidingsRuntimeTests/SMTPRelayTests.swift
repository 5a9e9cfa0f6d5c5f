import CCurl
import Foundation
import Testing
import TidingsCore

@testable import TidingsHTTP
@testable import TidingsRuntime

/// aiosmtpd (Tests/Fixtures/fakes/smtp-server.py) on loopback, scoped: a self-signed certificate
/// for 127.0.0.1 made with `openssl req` at test time, the server started on a free port on
/// `TestPython`'s interpreter, handed to `body`, killed afterwards.
struct SMTPServer {
    /// The server's port on 127.0.0.1.
    let port: Int
    /// Where the server appends one JSON line per accepted message.
    let record: URL
    /// The server's certificate (its own CA), nil for a server without STARTTLS.
    let certificate: URL?
    /// `smtp://127.0.0.1:PORT`.
    var url: String { "smtp://127.0.0.1:\(port)" }

    static let script = RuntimeTestSupport.root.appendingPathComponent("Tests/Fixtures/fakes/smtp-server.py")
    static let user = "northwind-relay"
    static let password = "s3cret-Relay-pass"

    /// One message as the server received it.
    struct Received {
        var mailFrom: String
        var recipients: [String]
        var tls: Bool
        var data: Data
    }

    /// The messages accepted so far, in order.
    func received() throws -> [Received] {
        guard let text = try? String(contentsOf: record, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { line in
            let object = try JSONParser.parse(Array(line.utf8)).objectValue ?? [:]
            let recipients: [String] =
                if case .array(let items)? = object["rcpt_tos"] { items.compactMap(\.stringValue) } else { [] }
            return Received(
                mailFrom: object["mail_from"]?.stringValue ?? "", recipients: recipients,
                tls: object["tls"] == .bool(true),
                data: Data(base64Encoded: object["data_base64"]?.stringValue ?? "") ?? Data())
        }
    }

    /// The settings a client of this server uses: STARTTLS required, AUTH, its CA trusted.
    func settings(password: String = SMTPServer.password) -> EmailSettings.SMTP {
        EmailSettings.SMTP(
            url: url, requireTLS: true, username: Self.user, password: Secret(password), caFile: certificate?.path,
            mailFrom: nil)
    }

    /// Starts aiosmtpd (with STARTTLS and AUTH when `tls`; neither otherwise) in `directory`,
    /// runs `body`, and stops the server whatever happens.
    static func with<Result>(
        tls: Bool = true, in directory: URL, _ body: (SMTPServer) async throws -> Result
    ) async throws -> Result {
        let record = directory.appendingPathComponent("received-\(UUID().uuidString).jsonl")
        var arguments = [script.path, record.path]
        var certificate: URL?
        if tls {
            let cert = directory.appendingPathComponent("smtp-cert.pem")
            let key = directory.appendingPathComponent("smtp-key.pem")
            let made = TestPython.run([
                "/usr/bin/env", "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout", key.path, "-out", cert.path,
            ])
            try #require(made, "openssl req could not make the test certificate")
            certificate = cert
            arguments += ["--cert", cert.path, "--key", key.path, "--user", user, "--password", password]
        }
        return try await TestPython.withServer("aiosmtpd", arguments) { port in
            try await body(SMTPServer(port: port, record: record, certificate: certificate))
        }
    }
}

/// `SMTPEmailService` against a real SMTP server: the bytes, the envelope, TLS and the failures.
@Suite("SMTP through libcurl against aiosmtpd")
struct SMTPRelayTests {
    /// A message whose body has lines that SMTP must dot-stuff, and a line that is a lone ".".
    static let raw = Data(
        ("From: Northwind <hello@northwind.example>\r\nTo: ada@example.com\r\nSubject: dots\r\n"
            + "Message-ID: <m-1@tidings.northwind.example>\r\n\r\n.leading dot\r\n..two dots\r\n.\r\n"
            + "last line\r\n").utf8)

    static func email(to recipient: String = "ada@example.com") -> RenderedEmail {
        var email = RenderedEmail(
            messageID: "m-1@tidings.northwind.example",
            from: Mailbox(name: "Northwind", address: "hello@northwind.example"),
            to: Mailbox(name: nil, address: recipient), subject: "dots", preheader: "", html: "", text: "",
            unsubscribeURL: "https://northwind.example/u", unsubscribeMailto: "mailto:u@northwind.example",
            date: Date(timeIntervalSince1970: 1_795_000_000), sendAt: Date(timeIntervalSince1970: 1_795_000_000),
            extraHeaders: [])
        email.rawMessage = raw
        return email
    }

    /// Sends and returns the `DeliveryError`, failing the test when the send succeeds.
    static func failure(_ service: SMTPEmailService, _ email: RenderedEmail) async throws -> DeliveryError {
        do {
            let receipt = try await service.deliver(email)
            Issue.record("expected a failure, got \(receipt)")
            throw CancellationError()
        } catch let error as DeliveryError {
            return error
        }
    }

    @Test(
        "Over STARTTLS with AUTH, the DATA bytes after unstuffing are the rendered bytes; the receipt is the Message-ID"
    )
    func exactBytes() async throws {
        try await withScratch { scratch in
            try await SMTPServer.with(in: scratch) { server in
                let receipt = try await SMTPEmailService(server.settings()).deliver(Self.email())
                #expect(receipt == DeliveryReceipt(service: "smtp", reference: "m-1@tidings.northwind.example"))
                let received = try server.received()
                try #require(received.count == 1)
                #expect(received[0].data == Self.raw, "\(String(decoding: received[0].data, as: UTF8.self))")
                #expect(received[0].mailFrom == "hello@northwind.example")
                #expect(received[0].recipients == ["ada@example.com"])
                #expect(received[0].tls, "the message went over STARTTLS")

                // SMTP_MAIL_FROM sets the envelope sender; the From header is unchanged.
                var settings = server.settings()
                settings.mailFrom = "bounces@northwind.example"
                _ = try await SMTPEmailService(settings).deliver(Self.email())
                let second = try server.received()
                try #require(second.count == 2)
                #expect(second[1].mailFrom == "bounces@northwind.example")
                #expect(second[1].data == Self.raw)
            }
        }
    }

    @Test("A wrong password is refused, not retried, and the password is in no error")
    func wrongPassword() async throws {
        try await withScratch { scratch in
            try await SMTPServer.with(in: scratch) { server in
                let error = try await Self.failure(
                    SMTPEmailService(server.settings(password: "wrong-pass-xyz")), Self.email())
                #expect(error.code == .unauthorized, "\(error)")
                #expect(!error.isRetryable)
                #expect(error.service == "smtp")
                #expect(
                    !error.description.contains("wrong-pass-xyz") && !error.description.contains(SMTPServer.password))
                #expect(try server.received().isEmpty)
            }
        }
    }

    @Test("A 451 at RCPT is retryable, a 550 is not; neither is delivered")
    func replyCodes() async throws {
        try await withScratch { scratch in
            try await SMTPServer.with(in: scratch) { server in
                let service = SMTPEmailService(server.settings())
                let deferred = try await Self.failure(service, Self.email(to: "defer-me@example.com"))
                #expect(deferred.isRetryable, "\(deferred)")
                #expect(deferred.code == .upstreamFailure)
                #expect(deferred.reason.contains("451"))
                let rejected = try await Self.failure(service, Self.email(to: "reject-me@example.com"))
                #expect(!rejected.isRetryable, "\(rejected)")
                #expect(rejected.code == .messageRejected)
                #expect(rejected.reason.contains("550"))
                #expect(try server.received().isEmpty)
            }
        }
    }

    @Test("A server without STARTTLS is refused unless SMTP_STARTTLS=off")
    func startTLSRequired() async throws {
        try await withScratch { scratch in
            try await SMTPServer.with(tls: false, in: scratch) { server in
                let required = EmailSettings.SMTP(
                    url: server.url, requireTLS: true, username: nil, password: nil, caFile: nil, mailFrom: nil)
                let error = try await Self.failure(SMTPEmailService(required), Self.email())
                #expect(!error.isRetryable, "\(error)")
                #expect(error.reason.contains("STARTTLS"), "\(error)")
                #expect(try server.received().isEmpty, "nothing was sent in clear")

                var off = required
                off.requireTLS = false
                _ = try await SMTPEmailService(off).deliver(Self.email())
                let received = try server.received()
                try #require(received.count == 1)
                #expect(!received[0].tls)
                #expect(received[0].data == Self.raw)
            }
        }
    }

    @Test("Verification stays on: without the test CA the certificate is refused; a closed port is retryable")
    func tlsAndConnection() async throws {
        try await withScratch { scratch in
            try await SMTPServer.with(in: scratch) { server in
                var untrusted = server.settings()
                untrusted.caFile = nil
                let error = try await Self.failure(SMTPEmailService(untrusted), Self.email())
                #expect(error.reason.contains("TLS"), "\(error)")
                #expect(!error.isRetryable)
                #expect(try server.received().isEmpty)
            }
            // Port 9 on loopback: nothing listens (discard is never enabled in the test images).
            let closed = EmailSettings.SMTP(
                url: "smtp://127.0.0.1:9", requireTLS: true, username: nil, password: nil, caFile: nil, mailFrom: nil)
            let error = try await Self.failure(SMTPEmailService(closed), Self.email())
            #expect(error.isRetryable, "\(error)")
            #expect(error.code == .unreachable)
        }
    }

    @Test("Twenty sends, up to eight at once on their own threads, each arrive once and exact")
    func concurrentSends() async throws {
        try await withScratch { scratch in
            try await SMTPServer.with(in: scratch) { server in
                let service = SMTPEmailService(server.settings())
                let clock = ContinuousClock()
                let start = clock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<20 {
                        if index >= 8 { try await group.next() }
                        group.addTask { _ = try await service.deliver(Self.email(to: "ada\(index)@example.com")) }
                    }
                    try await group.waitForAll()
                }
                let elapsed = clock.now - start
                let received = try server.received()
                #expect(received.count == 20)
                #expect(Set(received.flatMap(\.recipients)).count == 20, "each recipient once")
                #expect(received.allSatisfy { $0.data == Self.raw && $0.tls })
                print("SMTP: 20 sends over STARTTLS with AUTH, 8 at a time, in \(elapsed)")
            }
        }
    }

    @Test(
        "libcurl results and SMTP replies map to retryable or not",
        arguments: [
            (CURLE_LOGIN_DENIED, 535, DeliveryError.Code.unauthorized, false),
            (CURLE_USE_SSL_FAILED, 250, .other, false),
            (CURLE_PEER_FAILED_VERIFICATION, 0, .unreachable, false),
            (CURLE_WEIRD_SERVER_REPLY, 421, .upstreamFailure, true),
            (CURLE_SEND_ERROR, 452, .upstreamFailure, true),
            (CURLE_SEND_ERROR, 554, .messageRejected, false),
            (CURLE_WEIRD_SERVER_REPLY, 552, .messageRejected, false),
            (CURLE_RECV_ERROR, 0, .unreachable, true),
            (CURLE_COULDNT_CONNECT, 0, .unreachable, true),
            (CURLE_OPERATION_TIMEDOUT, 250, .unreachable, true),
            (CURLE_URL_MALFORMAT, 0, .other, false),
        ])
    func errorMapping(result: CURLcode, reply: Int, code: DeliveryError.Code, retryable: Bool) {
        CurlGlobal.initialise()
        let error = SMTPEmailService.failure(result, reply: reply, host: "smtp.example.com")
        #expect(error.code == code, "\(error)")
        #expect(error.isRetryable == retryable, "\(error)")
        #expect(error.service == "smtp")
        #expect(reply == 0 || error.reason.contains("SMTP reply \(reply)"))
    }

    @Test("A recipient that could smuggle an SMTP command is refused before any connection")
    func malformedRecipient() async throws {
        let closed = EmailSettings.SMTP(
            url: "smtp://127.0.0.1:9", requireTLS: true, username: nil, password: nil, caFile: nil, mailFrom: nil)
        let error = try await Self.failure(SMTPEmailService(closed), Self.email(to: "ada@example.com>\r\nRSET"))
        #expect(error.code == .badRequest, "\(error)")
        #expect(!error.isRetryable)
    }
}

/// `TIDINGS_ESP=smtp` end to end: the handler built from the environment sends a recorded cart's
/// email through aiosmtpd; what the server received is the outbox's .eml byte for byte.
@Suite("TIDINGS_ESP=smtp against aiosmtpd")
struct SMTPHandlerTests {
    let event = RuntimeTestSupport.cartEvents.appendingPathComponent("shopify-first-time-buyer.json")

    func environment(data: URL, esp: [String: String]) -> [String: String] {
        [
            "TIDINGS_DATA_DIR": data.path,
            "TIDINGS_SHOP_DIR": RuntimeTestSupport.root.appendingPathComponent("Events/shop").path,
            "TIDINGS_NOW": "2026-11-21T15:20:00Z", "TIDINGS_LOG_LEVEL": "critical",
        ].merging(RuntimeTestSupport.webhookSecrets) { $1 }.merging(esp) { $1 }
    }

    static func smtp(_ server: SMTPServer, passwordFile: URL) throws -> [String: String] {
        try Data((SMTPServer.password + "\n").utf8).write(to: passwordFile)
        return [
            "TIDINGS_ESP": "smtp", "SMTP_URL": server.url, "SMTP_USERNAME": SMTPServer.user,
            "SMTP_PASSWORD_FILE": passwordFile.path, "SMTP_CA_FILE": server.certificate?.path ?? "",
        ]
    }

    func outboxEML(_ scratch: URL) async throws -> Data {
        let data = scratch.appendingPathComponent("outbox-run")
        let handler = try FunctionEnvironment.handler(
            function: .cartAbandoned, environment: environment(data: data, esp: ["TIDINGS_ESP": "outbox"]),
            logger: RuntimeTestSupport.quietLogger)
        let answer = await handler.handle(
            Array(try Data(contentsOf: event)), deadline: nil, correlationID: "outbox",
            logger: RuntimeTestSupport.quietLogger)
        #expect(answer.reports.first?.outcome == .sent)
        let outbox = data.appendingPathComponent("outbox")
        let names = try FileManager.default.contentsOfDirectory(atPath: outbox.path).filter { $0.hasSuffix(".eml") }
        try #require(names.count == 1)
        return try Data(contentsOf: outbox.appendingPathComponent(names[0]))
    }

    @Test("The handler with TIDINGS_ESP=smtp delivers the exact message, unsubscribe headers intact")
    func handlerDelivers() async throws {
        try await withScratch { scratch in
            try await SMTPServer.with(in: scratch) { server in
                let esp = try Self.smtp(server, passwordFile: scratch.appendingPathComponent("password"))
                let handler = try FunctionEnvironment.handler(
                    function: .cartAbandoned,
                    environment: environment(data: scratch.appendingPathComponent("smtp"), esp: esp),
                    logger: RuntimeTestSupport.quietLogger)
                let answer = await handler.handle(
                    Array(try Data(contentsOf: event)), deadline: nil, correlationID: "smtp",
                    logger: RuntimeTestSupport.quietLogger)
                let report = try #require(answer.reports.first)
                #expect(report.outcome == .sent, "\(report)")
                let received = try server.received()
                try #require(received.count == 1)
                #expect(received[0].tls)
                #expect(received[0].mailFrom == SESMotoTests.sender)
                let eml = try await outboxEML(scratch)
                #expect(received[0].data == eml, "the relay received the rendered bytes")

                let raw = String(decoding: received[0].data, as: UTF8.self)
                let unsubscribe = try #require(SESMotoTests.header("List-Unsubscribe", in: raw))
                #expect(unsubscribe.hasPrefix("<https://") && unsubscribe.contains(">, <mailto:"), "\(unsubscribe)")
                #expect(SESMotoTests.header("List-Unsubscribe-Post", in: raw) == "List-Unsubscribe=One-Click")
                #expect(SESMotoTests.header("X-Tidings-Flow", in: raw) == "cartAbandoned")
                let messageID = try #require(SESMotoTests.header("Message-ID", in: raw))
                #expect(
                    report.messages?.contains(messageID.trimmingCharacters(in: CharacterSet(charactersIn: "<>")))
                        == true,
                    "the receipt is the Message-ID: \(report)")
                // RCPT TO is the To header's address (the header may carry a display name).
                let to = try #require(SESMotoTests.header("To", in: raw))
                try #require(received[0].recipients.count == 1)
                let recipient = received[0].recipients[0]
                #expect(to == recipient || to.hasSuffix("<\(recipient)>"), "To: \(to), RCPT TO: \(recipient)")
            }
        }
    }

    @Test("The cartAbandoned binary with TIDINGS_ESP=smtp sends, and logs no password even at trace")
    func handlerBinary() async throws {
        try await withScratch { scratch in
            try await SMTPServer.with(in: scratch) { server in
                var esp = try Self.smtp(server, passwordFile: scratch.appendingPathComponent("password"))
                esp["SMTP_PASSWORD_FILE"] = nil
                esp["SMTP_PASSWORD"] = SMTPServer.password
                let execution = try RuntimeTestSupport.execute(
                    "cartAbandoned", event: event,
                    environment: environment(data: scratch.appendingPathComponent("data"), esp: esp).merging([
                        "TIDINGS_LOG_LEVEL": "trace"
                    ]) { $1 })
                #expect(execution.status == 0, "\(execution.stderr.suffix(800))")
                #expect(execution.stderr.contains("email service"), "\(execution.stderr.prefix(400))")
                #expect(!execution.stderr.contains(SMTPServer.password), "the password is never logged")
                let answer = try JSONParser.parse(Array(execution.stdout)).objectValue ?? [:]
                #expect(answer["outcome"]?.stringValue == "sent", "\(answer)")
                let received = try server.received()
                try #require(received.count == 1)
                let raw = String(decoding: received[0].data, as: UTF8.self)
                #expect(SESMotoTests.header("List-Unsubscribe-Post", in: raw) == "List-Unsubscribe=One-Click")
            }
        }
    }

    @Test(
        "An order series with TIDINGS_ESP=smtp: the due thank-you goes to the relay, the later steps wait in the outbox"
    )
    func seriesWaitsInTheOutbox() async throws {
        try await withScratch { scratch in
            try await SMTPServer.with(in: scratch) { server in
                let esp = try Self.smtp(server, passwordFile: scratch.appendingPathComponent("password"))
                let data = scratch.appendingPathComponent("orders")
                var environment = environment(data: data, esp: esp)
                environment["TIDINGS_NOW"] = "2026-11-24T15:16:00Z"
                let handler = try FunctionEnvironment.handler(
                    function: .orderCreated, environment: environment, logger: RuntimeTestSupport.quietLogger)
                let order = RuntimeTestSupport.root.appendingPathComponent(
                    "Events/orderCreated/shopify-repeat-customer.json")
                let answer = await handler.handle(
                    Array(try Data(contentsOf: order)), deadline: nil, correlationID: "smtp-series",
                    logger: RuntimeTestSupport.quietLogger)
                let report = try #require(answer.reports.first)
                #expect(report.outcome == .sent, "\(report)")
                #expect(report.messages?.count == 4, "\(report)")

                let received = try server.received()
                try #require(received.count == 1, "only the due step went to the relay")
                let raw = String(decoding: received[0].data, as: UTF8.self)
                #expect(SESMotoTests.header("X-Tidings-Step", in: raw) == "thank_you")
                let outbox = data.appendingPathComponent("outbox")
                let waiting = try FileManager.default.contentsOfDirectory(atPath: outbox.path).filter {
                    $0.hasSuffix(".eml")
                }
                #expect(waiting.count == 3, "\(waiting)")
                for name in waiting {
                    let text = try String(contentsOf: outbox.appendingPathComponent(name), encoding: .utf8)
                    #expect(SESMotoTests.header("X-Tidings-Step", in: text) != "thank_you", "\(name)")
                }
            }
        }
    }

    @Test("smtp without SMTP_URL, or with a password but no username, stops start-up naming the variable")
    func startup() async throws {
        try await withScratch { scratch in
            let base = environment(
                data: scratch,
                esp: [
                    "TIDINGS_ESP": "smtp", "SMTP_URL": "smtps://smtp.example.com:465", "SMTP_USERNAME": "u",
                    "SMTP_PASSWORD": "p",
                ])
            func key(_ environment: [String: String]) -> String? {
                do {
                    _ = try FunctionEnvironment.handler(
                        function: .cartAbandoned, environment: environment, logger: RuntimeTestSupport.quietLogger)
                    return nil
                } catch {
                    return error.key
                }
            }
            #expect(key(base) == nil)
            #expect(key(base.filter { $0.key != "SMTP_URL" }) == "SMTP_URL")
            #expect(key(base.filter { $0.key != "SMTP_USERNAME" }) == "SMTP_USERNAME")
        }
    }
}

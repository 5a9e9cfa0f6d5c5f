import Foundation
import Testing

@testable import TidingsCore

@Suite("MIMEMessage")
struct MIMEMessageTests {
    @Test("lines end in CRLF only, and no line passes 78 characters")
    func lineEndingsAndLengths() throws {
        let data = MIMEMessage.serialize(try RenderFixtures.render())
        let bytes = Array(data)
        for (index, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "\n") {
                #expect(index > 0 && bytes[index - 1] == UInt8(ascii: "\r"), "bare LF at \(index)")
            }
            if byte == UInt8(ascii: "\r") {
                #expect(
                    index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\n"), "bare CR at \(index)")
            }
        }
        #expect(bytes.suffix(2) == [13, 10])
        let text = try #require(String(data: data, encoding: .utf8))
        let long = text.components(separatedBy: "\r\n").filter { $0.utf8.count > 78 }
        // Only the List-Unsubscribe URL may be long (it cannot be folded); the bodies never are.
        #expect(long.allSatisfy { $0.contains("/email/unsubscribe?") }, "long lines: \(long)")
        #expect(bytes.allSatisfy { $0 < 128 }, "the whole message is 7-bit")
    }

    @Test(
        "headers: Date, From, To, Subject, Message-ID, MIME, both List-Unsubscribe headers, Tidings headers")
    func headers() throws {
        let email = try RenderFixtures.render()
        let message = try ParsedMessage(MIMEMessage.serialize(email))
        // Rendered at 11:06:40 and scheduled an hour later: the Date is the send time.
        #expect(message.header("Date") == "Wed, 18 Nov 2026 12:06:40 +0000")
        #expect(message.header("From") == "Northwind Outfitters <hello@northwind.example>")
        let to = try #require(message.header("To"))
        #expect(to.hasSuffix(" <juergen@example.com>"))
        #expect(decodeEncodedWords(String(to.dropLast(" <juergen@example.com>".count))) == "Jürgen Weiß")
        #expect(message.header("Subject") == "Your trail runners are still waiting")
        #expect(message.header("Message-ID") == "<\(email.messageID)>")
        #expect(message.header("MIME-Version") == "1.0")
        #expect(
            message.header("List-Unsubscribe")
                == "<\(email.unsubscribeURL)>, <mailto:unsubscribe@northwind.example?subject=unsubscribe>")
        #expect(message.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click")
        #expect(message.header("X-Tidings-Event-Id") == "evt-1001")
        #expect(message.header("X-Tidings-Flow") == "cartAbandoned")
        #expect(message.header("X-Tidings-Prompt") == "cart-abandoned@3")
        #expect(message.header("X-Tidings-Send-At") == "2026-11-18T12:06:40Z")
        #expect(
            message.header("Content-Type")?.hasPrefix("multipart/alternative; boundary=\"=_tidings_") == true)
    }

    @Test("two parts, text then HTML, quoted-printable that decodes to exactly the bodies")
    func partsRoundTrip() throws {
        let email = try RenderFixtures.render()
        let message = try ParsedMessage(MIMEMessage.serialize(email))
        try #require(message.parts.count == 2)
        #expect(message.parts[0].headers["Content-Type"] == "text/plain; charset=utf-8")
        #expect(message.parts[1].headers["Content-Type"] == "text/html; charset=utf-8")
        for part in message.parts {
            #expect(part.headers["Content-Transfer-Encoding"] == "quoted-printable")
        }
        #expect(try decodeQuotedPrintable(message.parts[0].body) == email.text)
        #expect(try decodeQuotedPrintable(message.parts[1].body) == email.html)
    }

    @Test(
        "quoted-printable round-trips awkward text with lines of at most 76 characters",
        arguments: [
            "", "a", "=", "trailing space ", "trailing tab\t", " \n \t\n", "Grüße, Jürgen ☕️ 👩🏽‍💻",
            String(repeating: "x", count: 75), String(repeating: "x", count: 76),
            String(repeating: "x", count: 77),
            String(repeating: "é", count: 40),
            String(repeating: "=", count: 30) + "\n" + String(repeating: "a ", count: 60),
            ".leading dot\n.\nFrom the trail\nFrom", "a\r\nb\rc", String(repeating: "y", count: 74) + " \n",
            String(repeating: "z", count: 74) + "=x", "\u{0}\u{7F}\u{1B}[31m",
        ])
    func quotedPrintableRoundTrip(text: String) throws {
        let encoded = MIMEMessage.quotedPrintable(text)
        #expect(try decodeQuotedPrintable(encoded) == text)
        for line in encoded.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 76)
            #expect(
                !line.hasSuffix(" ") && !line.hasSuffix("\t"),
                "trailing whitespace in \(line.debugDescription)")
            #expect(!line.hasPrefix(".") && !line.hasPrefix("From "))
        }
        #expect(
            !encoded.contains("\n")
                || encoded.replacingOccurrences(of: "\r\n", with: "").allSatisfy { $0 != "\n" && $0 != "\r" })
    }

    @Test("quoted-printable escapes exactly what it must")
    func quotedPrintableBytes() {
        #expect(MIMEMessage.quotedPrintable("a=b ü \nx ") == "a=3Db =C3=BC=20\r\nx=20")
        #expect(
            MIMEMessage.quotedPrintable(String(repeating: "a", count: 80)) == String(
                repeating: "a", count: 75) + "=\r\naaaaa")
    }

    @Test("a non-ASCII subject is written as encoded-words and decodes back exactly")
    func encodedWordSubject() throws {
        let subjects = [
            "Ihr Warenkorb wartet, Jürgen ☕",
            "Ihr Warenkorb wartet noch auf Sie, lieber Jürgen – und die Trailrunner in Größe 44 sind fast ausverkauft ☕",
        ]
        for subject in subjects {
            let email = try RenderFixtures.render(RenderFixtures.request(subject: subject))
            let message = try ParsedMessage(MIMEMessage.serialize(email))
            let raw = try #require(message.header("Subject"))
            #expect(raw.hasPrefix("=?utf-8?B?"))
            #expect(decodeEncodedWords(raw) == subject)
            let lines = message.rawHeaderLines.drop { !$0.hasPrefix("Subject:") }.prefix {
                $0.hasPrefix("Subject:") || $0.hasPrefix(" ")
            }
            #expect(lines.allSatisfy { $0.utf8.count <= 78 })
            for word in raw.split(separator: " ") { #expect(word.utf8.count <= 75) }
        }
    }

    @Test("a long ASCII subject is folded at spaces and unfolds to the original")
    func foldsLongSubject() throws {
        let subject = (1...30).map { "word\($0)" }.joined(separator: " ") + "  double  spaced"
        let header = MIMEMessage.unstructured(name: "Subject", value: subject)
        let lines = header.components(separatedBy: "\r\n")
        #expect(lines.count > 1)
        #expect(lines.allSatisfy { $0.utf8.count <= 78 })
        #expect(header.replacingOccurrences(of: "\r\n", with: "") == "Subject: " + subject)
    }

    @Test("CR and LF in a header value cannot start a new header")
    func headerInjection() throws {
        var email = try RenderFixtures.render(
            RenderFixtures.request(subject: "Hello\r\nBcc: victim@example.com"))
        email.extraHeaders.append(.init("X-Note", "a\nTo: other@example.com"))
        email.from.name = "Shop\r\nBcc: x@example.com"
        let message = try ParsedMessage(MIMEMessage.serialize(email))
        #expect(message.headers(named: "Bcc").isEmpty)
        #expect(message.headers(named: "To").count == 1)
        #expect(message.header("Subject") == "Hello  Bcc: victim@example.com")
        #expect(message.header("X-Note") == "a To: other@example.com")
        #expect(message.header("From") == "\"Shop  Bcc: x@example.com\" <hello@northwind.example>")
    }

    @Test("display names with specials are quoted, others written as they are")
    func displayNames() {
        #expect(
            MIMEMessage.mailboxWords(Mailbox(name: "Anna Smith", address: "a@x.example"), headerName: "To")
                == ["Anna Smith", "<a@x.example>"])
        #expect(
            MIMEMessage.mailboxWords(Mailbox(name: "Smith, Anna", address: "a@x.example"), headerName: "To")
                == ["\"Smith, Anna\"", "<a@x.example>"])
        #expect(
            MIMEMessage.mailboxWords(
                Mailbox(name: #"Al "Ace" \o/"#, address: "a@x.example"), headerName: "To") == [
                    #""Al \"Ace\" \\o/""#, "<a@x.example>",
                ])
        #expect(
            MIMEMessage.mailboxWords(Mailbox(name: nil, address: "a@x.example"), headerName: "To") == [
                "<a@x.example>"
            ])
        #expect(
            MIMEMessage.mailboxWords(Mailbox(name: "  ", address: "a@x.example"), headerName: "To") == [
                "<a@x.example>"
            ])
    }

    @Test("the same email serializes to the same bytes, and the boundary is absent from the bodies")
    func deterministic() throws {
        let email = try RenderFixtures.render()
        let first = MIMEMessage.render(email)
        #expect(first == MIMEMessage.render(email))
        let boundary = MIMEMessage.boundary(text: email.text, html: email.html)
        #expect(first.components(separatedBy: "--" + boundary).count - 1 == 3)
        #expect(!MIMEMessage.quotedPrintable(email.text + "=_tidings_").contains("=_tidings_"))
    }

    @Test("Python's email package parses the message and finds both bodies")
    func pythonParses() throws {
        let python = try #require(
            RenderFixtures.executable(named: "python3"), "python3 is not on PATH; this cross-check needs it")
        let email = try RenderFixtures.render(
            RenderFixtures.request(subject: "Ihr Warenkorb wartet, Jürgen ☕"))
        try RenderFixtures.withTemporaryDirectorySync { folder in
            let file = folder.appendingPathComponent("message.eml")
            try MIMEMessage.serialize(email).write(to: file)
            let expected = folder.appendingPathComponent("expected.json")
            try JSONSerialization.data(withJSONObject: [
                "text": email.text, "html": email.html, "subject": email.subject,
            ])
            .write(to: expected)
            let script = """
                import email, json, sys
                from email import policy
                msg = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=policy.default)
                want = json.load(open(sys.argv[2]))
                problems = []
                if msg.defects: problems.append('defects: %r' % msg.defects)
                for part in msg.walk():
                    if part.defects: problems.append('part defects: %r' % part.defects)
                if str(msg['subject']) != want['subject']: problems.append('subject %r' % str(msg['subject']))
                if msg['to'].addresses[0].display_name != 'Jürgen Weiß': problems.append('to %r' % str(msg['to']))
                if msg['list-unsubscribe-post'] != 'List-Unsubscribe=One-Click': problems.append('post header')
                # MIME bodies are CRLF on the wire; the renderer's strings use "\\n".
                plain = msg.get_body(preferencelist=('plain',)).get_content().replace('\\r\\n', '\\n')
                html = msg.get_body(preferencelist=('html',)).get_content().replace('\\r\\n', '\\n')
                if plain != want['text']: problems.append('plain differs: %r' % plain[:200])
                if html != want['html']: problems.append('html differs')
                print('\\n'.join(problems) if problems else 'ok')
                """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = ["-c", script, file.path, expected.path]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let result = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            #expect(result.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "\(result)")
        }
    }
}

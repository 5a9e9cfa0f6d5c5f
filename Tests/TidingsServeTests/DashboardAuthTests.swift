import Foundation
import Logging
import Testing
import TidingsCore
import TidingsRuntime
import TidingsServe

/// Issue 16, "Review dashboard": sign-in, the session cookie, CSRF, no change by GET, the policy
/// header, over real HTTP against the dashboard with the recorded VIP cart's draft waiting.
@Suite("Dashboard: sign-in, sessions, CSRF, CSP")
struct DashboardAuthTests {
    @Test("A wrong password or an unknown name is refused and signs nobody in; the right one does")
    func wrongPasswordRefused() async throws {
        try await DashboardFixture.with { fixture in
            let browser = fixture.browser()
            let wrong = try await browser.signIn("maria", "not-her-password")
            #expect(wrong.status == 401)
            #expect(wrong.text.contains("Wrong name or password"))
            #expect(try await browser.get("/review").status == 303)
            let stranger = try await browser.signIn("mallory", "maria-correct-horse")
            #expect(stranger.status == 401)
            #expect(try await browser.get("/review").status == 303)

            let right = try await browser.signIn("maria", DashboardFixture.passwords["maria"]!)
            #expect(right.status == 303)
            #expect(right.headers["location"] == "/review")
            let queue = try await browser.get("/review")
            #expect(queue.status == 200)
            #expect(queue.text.contains("Signed in as <strong>maria</strong>"))
            #expect(queue.text.contains("/review/\(fixture.reviewID)"))
        }
    }

    @Test("Sign-ins are logged by name and result; no password, session id or CSRF token reaches the log")
    func nothingSecretLogged() async throws {
        let log = CapturedLog()
        var logger = Logger(label: "tidings.serve.test") { EscapingLogHandler(label: $0, stream: log) }
        logger.logLevel = .trace
        try await DashboardFixture.with(logger: logger) { fixture in
            let browser = fixture.browser()
            try await browser.signIn("maria", "maria-wrong-guess")
            try await browser.signIn("maria", DashboardFixture.passwords["maria"]!)
            let token = try #require(DashboardBrowser.csrfToken(in: try await browser.get("/review").text))
            let approved = try await browser.post("/review/\(fixture.reviewID)/approve", [("csrf", token)])
            #expect(approved.status == 303)
            let written = log.written
            #expect(written.contains("dashboard.name=maria dashboard.result=refused"), "\(written)")
            #expect(written.contains("dashboard.name=maria dashboard.result=signed_in"), "\(written)")
            for secret in [
                "maria-wrong-guess", DashboardFixture.passwords["maria"]!, token, try #require(browser.cookie),
            ] {
                #expect(!written.contains(secret))
            }
        }
    }

    @Test("Five wrong passwords lock the name: even the right one is refused then")
    func lockout() async throws {
        try await DashboardFixture.with { fixture in
            let browser = fixture.browser()
            for _ in 0..<5 { #expect(try await browser.signIn("ana", "guess").status == 401) }
            let locked = try await browser.signIn("ana", DashboardFixture.passwords["ana"]!)
            #expect(locked.status == 429)
            #expect(locked.text.contains("locked"))
            #expect(try await browser.get("/review").status == 303)
            // Another name is not affected.
            #expect(try await browser.signIn("maria", DashboardFixture.passwords["maria"]!).status == 303)
        }
    }

    @Test("A session ends after 30 idle minutes, and after 8 hours however busy; a lockout ends after 15 minutes")
    func sessionExpiry() async throws {
        let clock = SteppedClock(DashboardFixture.now)
        try await DashboardFixture.with(sessionClock: clock) { fixture in
            let browser = fixture.browser()
            try await browser.signIn("maria", DashboardFixture.passwords["maria"]!)
            clock.advance(29 * 60)
            #expect(try await browser.get("/review").status == 200, "29 idle minutes: still signed in")
            clock.advance(30 * 60)
            #expect(try await browser.get("/review").status == 303, "30 idle minutes: signed out")

            try await browser.signIn("maria", DashboardFixture.passwords["maria"]!)
            for _ in 0..<(8 * 60 / 25) {
                clock.advance(25 * 60)
                #expect(try await browser.get("/review").status == 200)
            }
            clock.advance(25 * 60)
            #expect(try await browser.get("/review").status == 303, "past 8 hours: signed out although busy")

            for _ in 0..<5 { _ = try await browser.signIn("tom", "guess") }
            #expect(try await browser.signIn("tom", DashboardFixture.passwords["tom"]!).status == 429)
            clock.advance(15 * 60)
            #expect(try await browser.signIn("tom", DashboardFixture.passwords["tom"]!).status == 303)
        }
    }

    @Test("The session cookie is HttpOnly, SameSite=Strict, Path=/, Secure only behind https, and new at sign-in")
    func cookieAttributes() async throws {
        try await DashboardFixture.with { fixture in
            let browser = fixture.browser()
            let before = try await browser.get("/signin")
            let anonymous = browser.cookie
            let signedIn = try await browser.signIn("maria", DashboardFixture.passwords["maria"]!)
            let cookie = try #require(signedIn.headers["set-cookie"])
            let attributes = Set(cookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) })
            #expect(attributes.contains("HttpOnly"), "\(cookie)")
            #expect(attributes.contains("SameSite=Strict"), "\(cookie)")
            #expect(attributes.contains("Path=/"), "\(cookie)")
            #expect(!attributes.contains("Secure"), "plain http: \(cookie)")
            #expect(before.headers["set-cookie"]?.contains("HttpOnly") == true)
            // A new id at sign-in (no fixation), 256 bits as hex.
            #expect(browser.cookie != anonymous)
            #expect(browser.cookie?.count == 64)
        }
        try await DashboardFixture.with(publicURL: "https://review.example.com") { fixture in
            let cookie = try #require(try await fixture.browser().get("/signin").headers["set-cookie"])
            #expect(cookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.contains("Secure"))
        }
    }

    @Test("Without a session every page and preview redirects to sign-in")
    func unauthenticatedRedirects() async throws {
        try await DashboardFixture.with { fixture in
            for path in ["/review", "/review/\(fixture.reviewID)", "/review/\(fixture.reviewID)/preview/html", "/"] {
                let response = try await fixture.server.send("GET", path)
                #expect(response.status == 303, "\(path)")
                #expect(response.headers["location"] == (path == "/" ? "/review" : "/signin"), "\(path)")
            }
            let forged = try await fixture.server.send(
                "GET", "/review",
                headers: ["Cookie": "\(DashboardAuth.cookieName)=\(String(repeating: "a", count: 64))"])
            #expect(forged.status == 303)
        }
    }

    @Test("A POST without or with a wrong CSRF token is 403 and decides nothing; sign-in needs its token too")
    func csrf() async throws {
        try await DashboardFixture.with { fixture in
            let browser = fixture.browser()
            try await browser.signIn("maria", DashboardFixture.passwords["maria"]!)
            let missing = try await browser.post("/review/\(fixture.reviewID)/approve", [])
            #expect(missing.status == 403)
            let wrong = try await browser.post(
                "/review/\(fixture.reviewID)/approve", [("csrf", String(repeating: "0", count: 64))])
            #expect(wrong.status == 403)
            let reject = try await browser.post(
                "/review/\(fixture.reviewID)/reject", [("csrf", "x"), ("reason", "forged")])
            #expect(reject.status == 403)
            #expect(fixture.outbox.isEmpty)
            #expect(fixture.stillWaiting)
            #expect(try fixture.story().records.allSatisfy { !$0.stage.hasPrefix("review_") })

            let anonymous = fixture.browser()
            _ = try await anonymous.get("/signin")
            let noToken = try await anonymous.post(
                "/signin", [("name", "maria"), ("password", DashboardFixture.passwords["maria"]!)])
            #expect(noToken.status == 403)
            #expect(try await anonymous.get("/review").status == 303)
        }
    }

    @Test("GET cannot approve: the decision routes answer only POST")
    func getCannotApprove() async throws {
        try await DashboardFixture.with { fixture in
            let browser = fixture.browser()
            try await browser.signIn("maria", DashboardFixture.passwords["maria"]!)
            for decision in ["approve", "reject", "edit"] {
                let response = try await browser.get("/review/\(fixture.reviewID)/\(decision)")
                #expect(response.status != 200 && response.status != 303, "\(decision): \(response.status)")
            }
            #expect(fixture.outbox.isEmpty)
            #expect(fixture.stillWaiting)
        }
    }

    @Test("Every dashboard page carries the Content-Security-Policy; the preview its own, sandboxed")
    func contentSecurityPolicy() async throws {
        try await DashboardFixture.with { fixture in
            let browser = fixture.browser()
            let signin = try await browser.get("/signin")
            try await browser.signIn("maria", DashboardFixture.passwords["maria"]!)
            let queue = try await browser.get("/review")
            let draft = try await browser.get("/review/\(fixture.reviewID)")
            let refused = try await browser.post("/review/\(fixture.reviewID)/approve", [])
            for (name, page) in [("signin", signin), ("queue", queue), ("draft", draft), ("403", refused)] {
                let policy = try #require(page.headers["content-security-policy"], "\(name)")
                for directive in [
                    "default-src 'none'", "style-src 'self'", "form-action 'self'", "frame-ancestors 'none'",
                    "base-uri 'none'",
                ] {
                    #expect(policy.contains(directive), "\(name): \(policy)")
                }
                #expect(!policy.contains("script-src"), "\(name): \(policy)")
                #expect(page.headers["x-frame-options"] == "DENY", "\(name)")
                #expect(page.headers["cache-control"] == "no-store", "\(name)")
            }
            let preview = try await browser.get("/review/\(fixture.reviewID)/preview/html")
            #expect(preview.status == 200)
            #expect(preview.headers["content-type"]?.hasPrefix("text/html") == true)
            let policy = try #require(preview.headers["content-security-policy"])
            #expect(policy.contains("default-src 'none'") && policy.contains("sandbox"), "\(policy)")
            #expect(policy.contains("frame-ancestors 'self'") && !policy.contains("script-src"), "\(policy)")
            #expect(preview.headers["x-frame-options"] == "SAMEORIGIN")
            let text = try await browser.get("/review/\(fixture.reviewID)/preview/text")
            #expect(text.headers["content-type"]?.hasPrefix("text/plain") == true)
            #expect(text.headers["content-security-policy"]?.contains("sandbox") == true)
            #expect(
                try await browser.get(DashboardLayout.stylesheetPath).headers["content-type"]?.hasPrefix("text/css")
                    == true)
        }
    }

    @Test("Sign-out is a POST with the token; afterwards the session is gone")
    func signOut() async throws {
        try await DashboardFixture.with { fixture in
            let browser = fixture.browser()
            try await browser.signIn("maria", DashboardFixture.passwords["maria"]!)
            let session = browser.cookie
            #expect(try await browser.post("/signout", []).status == 403)
            let token = try #require(DashboardBrowser.csrfToken(in: try await browser.get("/review").text))
            let out = try await browser.post("/signout", [("csrf", token)])
            #expect(out.status == 303 && out.headers["location"] == "/signin")
            let reused = try await fixture.server.send(
                "GET", "/review", headers: ["Cookie": "\(DashboardAuth.cookieName)=\(session ?? "")"])
            #expect(reused.status == 303)
        }
    }
}

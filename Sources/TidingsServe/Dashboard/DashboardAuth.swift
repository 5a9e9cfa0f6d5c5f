import Foundation
import HTTPTypes
import Hummingbird
import TidingsCore

/// The reviewer a request was made by, as the auth guard hands it to a route.
package struct SignedInReviewer: Sendable, Hashable {
    /// The name in review.reviewers: what the desk decides by.
    package let name: String
    /// The session's CSRF token: every form carries it (`csrfField`), every POST is checked against it.
    package let csrfToken: String
    /// The session's id (never shown; for ending it).
    let sessionID: String

    /// The hidden input every dashboard form must include.
    package var csrfField: String {
        #"<input type="hidden" name="\#(DashboardAuth.csrfFieldName)" value="\#(csrfToken)">"#
    }
}

/// The dashboard's auth guard, shared by every dashboard part (create one, pass it to each):
/// sessions, sign-in with lockout, and the two checks a route makes.
///
/// - A page (GET): `let reviewer = try await auth.reviewer(request)`; without a live signed-in
///   session this throws an answer redirecting to `/signin`.
/// - A change (POST): `let (reviewer, form) = try await auth.post(request)`; this also reads the
///   url-encoded form and answers 403 unless its `csrf` field is the session's token.
///
/// No route changes anything on GET. docs/decisions/serve-dashboard.md.
package struct DashboardAuth: Sendable {
    /// The session cookie's name.
    package static let cookieName = "tidings_session"
    /// The form field carrying the CSRF token.
    package static let csrfFieldName = "csrf"
    /// The largest form body read (bytes); a draft edit is a few kilobytes.
    package static let maximumFormBytes = 256 * 1024

    /// Who may sign in and the session limits.
    package let settings: DashboardSettings
    let sessions: DashboardSessions
    /// Derives sign-in hashes off the server's concurrency pool, one at a time.
    let lane = PasswordCheckLane()
    /// A hash checked for names that have none, so an unknown name costs as long as a known one.
    private let decoy: PasswordHash

    /// A guard over `settings`; `clock` times sessions and lockouts.
    package init(settings: DashboardSettings, clock: any TimeSource = SystemClock()) {
        self.settings = settings
        sessions = DashboardSessions(settings: settings, clock: clock)
        let iterations = settings.credentials.values.map(\.iterations).max() ?? PasswordHash.defaultIterations
        decoy = PasswordHash(
            iterations: iterations, salt: Array(repeating: 0, count: 16), hash: Array(repeating: 0, count: 32))
    }

    /// The signed-in reviewer of a page request. Throws `DashboardRefusal.signInNeeded` (a 303
    /// to `/signin`) when there is no live signed-in session.
    package func reviewer(_ request: Request) async throws -> SignedInReviewer {
        guard let session = await sessions.session(Self.sessionID(request)), let name = session.reviewer else {
            throw DashboardRefusal.signInNeeded
        }
        return SignedInReviewer(name: name, csrfToken: session.csrfToken, sessionID: session.id)
    }

    /// The signed-in reviewer of a POST and its url-encoded form, after the CSRF check: throws
    /// `.signInNeeded` without a session, `.forbidden` (403) when the `csrf` field is missing or
    /// not the session's token, `.badRequest` when the body is not a form.
    package func post(_ request: Request) async throws -> (reviewer: SignedInReviewer, form: [String: String]) {
        let session = await sessions.session(Self.sessionID(request))
        let form = try await Self.form(request)
        guard let session, let name = session.reviewer else { throw DashboardRefusal.signInNeeded }
        try Self.checkToken(form, session.csrfToken)
        return (SignedInReviewer(name: name, csrfToken: session.csrfToken, sessionID: session.id), form)
    }

    /// The pending notice of the reviewer's session ("Approved …"), shown once.
    package func notice(for reviewer: SignedInReviewer) async -> String? {
        await sessions.takeNotice(for: reviewer.sessionID)
    }

    /// Leaves `notice` for the reviewer's next page.
    package func setNotice(_ notice: String, for reviewer: SignedInReviewer) async {
        await sessions.setNotice(notice, for: reviewer.sessionID)
    }

    // MARK: - Sign-in

    /// What a sign-in attempt came to.
    enum SignInResult: Sendable {
        case signedIn(sessionID: String)
        case refused
        case locked
        /// Too many sign-ins are being checked at once; nothing was counted.
        case busy

        /// For the log: "signed_in", "refused", "locked", "busy".
        var code: String {
            switch self {
            case .signedIn: "signed_in"
            case .refused: "refused"
            case .locked: "locked"
            case .busy: "busy"
            }
        }
    }

    /// Checks `password` for `name` (the slow hash, also for unknown names), honouring the lockout,
    /// and on success replaces `previous` with a signed-in session.
    func signIn(name: String, password: String, previous: String?) async -> SignInResult {
        if await sessions.lockedUntil(name) != nil { return .locked }
        let hash = settings.credentials[name]
        guard let checked = await lane.matches(password, hash ?? decoy) else { return .busy }
        guard checked, hash != nil else {
            await sessions.failed(name)
            return .refused
        }
        await sessions.succeeded(name)
        return .signedIn(sessionID: await sessions.signIn(name, replacing: previous).id)
    }

    /// The session of a visitor (signed in or not), started when there is none; the bool says
    /// whether it is new (its cookie must be set).
    func visitorSession(_ request: Request) async -> (DashboardSessions.Session, isNew: Bool) {
        if let session = await sessions.session(Self.sessionID(request)) { return (session, false) }
        return (await sessions.startAnonymous(), true)
    }

    /// A visitor's form after the CSRF check against their (possibly anonymous) session.
    func visitorPost(_ request: Request) async throws -> (DashboardSessions.Session, [String: String]) {
        let session = await sessions.session(Self.sessionID(request))
        let form = try await Self.form(request)
        guard let session else {
            throw DashboardRefusal.forbidden("This form has expired; reload the page and try again.")
        }
        try Self.checkToken(form, session.csrfToken)
        return (session, form)
    }

    /// Ends the session.
    func end(_ sessionID: String) async {
        await sessions.end(sessionID)
    }

    /// The session cookie for `id`: HttpOnly, SameSite=Strict, Path=/, Secure over TLS; it lives
    /// as long as the browser (the server ends the session itself).
    func cookie(_ id: String) -> Cookie {
        Cookie(
            name: Self.cookieName, value: id, path: "/", secure: settings.secureCookies, httpOnly: true,
            sameSite: .strict)
    }

    /// A cookie that removes the session cookie.
    func expiredCookie() -> Cookie {
        Cookie(
            name: Self.cookieName, value: "", maxAge: 0, path: "/", secure: settings.secureCookies, httpOnly: true,
            sameSite: .strict)
    }

    // MARK: - Helpers

    static func sessionID(_ request: Request) -> String? {
        guard let value = request.cookies[cookieName]?.value, value.count == 64 else { return nil }
        return value
    }

    static func checkToken(_ form: [String: String], _ token: String) throws {
        guard let sent = form[csrfFieldName], ConstantTime.equals(Array(sent.utf8), Array(token.utf8)) else {
            throw DashboardRefusal.forbidden(
                "The form's security token is missing or out of date; nothing was changed. Reload the page and try again."
            )
        }
    }

    static func form(_ request: Request) async throws -> [String: String] {
        let type = request.headers[.contentType] ?? ""
        guard type.lowercased().hasPrefix("application/x-www-form-urlencoded") else {
            throw DashboardRefusal.badRequest("a dashboard form is sent as application/x-www-form-urlencoded")
        }
        let body: [UInt8]
        do {
            body = Array(try await request.body.collect(upTo: maximumFormBytes).readableBytesView)
        } catch {
            throw DashboardRefusal.badRequest("the form is larger than \(maximumFormBytes) bytes")
        }
        guard let text = String(validating: body, as: UTF8.self), let fields = PercentEncoding.formFields(text[...])
        else { throw DashboardRefusal.badRequest("the form is not valid url-encoded UTF-8") }
        return fields
    }
}

/// A dashboard request answered with something other than its page: a redirect to sign-in, a
/// 403, a 400. Thrown by the guard and the routes; the server's middleware turns it into its
/// answer (with the security headers), so routes need no special handling.
package enum DashboardRefusal: HTTPResponseError {
    /// No live signed-in session: 303 to `/signin`.
    case signInNeeded
    /// 403 with the reason (a missing CSRF token, a reviewer without the role).
    case forbidden(String)
    /// 400 with the reason.
    case badRequest(String)
    /// 404 with the reason.
    case notFound(String)

    package var status: HTTPResponse.Status {
        switch self {
        case .signInNeeded: .seeOther
        case .forbidden: .forbidden
        case .badRequest: .badRequest
        case .notFound: .notFound
        }
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        switch self {
        case .signInNeeded:
            return DashboardLayout.redirect(to: "/signin")
        case .forbidden(let message), .badRequest(let message), .notFound(let message):
            return DashboardLayout.page(
                title: status == .forbidden ? "Not allowed" : (status == .notFound ? "Not found" : "Bad request"),
                section: nil, reviewer: nil,
                content:
                    "<p class=\"problem\">\(DashboardLayout.escape(message))</p><p><a href=\"/review\">Back to the queue</a></p>",
                status: status)
        }
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import TidingsCore
import TidingsRuntime

/// The review dashboard (issue 16): sign-in, the review queue, one draft with its context,
/// findings, subject options and a sandboxed preview, and the approve, reject and edit forms.
/// Every decision goes through the same `ReviewDesk` as `tidings review`, built by
/// `ReviewDeskEnvironment.desk`; this part only reads forms and writes pages.
/// docs/decisions/serve-dashboard.md.
package struct ReviewDashboard: ServePart {
    /// The auth guard, shared with the other dashboard parts.
    package let auth: DashboardAuth
    /// The desk every page reads and every form decides through.
    let desk: ReviewDesk
    let clock: any TimeSource
    let logger: Logger
    /// How often `ReviewSweeper` runs; nil runs none (tests).
    let sweepInterval: Duration?

    /// The dashboard over `configuration`'s data folder. `clock` (tests) pins the desk's and the
    /// pages' time; otherwise the configuration's `TIDINGS_NOW` or the wall clock. The sweep runs
    /// every `sweepInterval` (nil: never). Throws `ConfigurationError` when the desk cannot be built.
    package init(
        configuration: Configuration, auth: DashboardAuth, logger: Logger, clock: (any TimeSource)? = nil,
        sweepInterval: Duration? = .seconds(60)
    ) throws(ConfigurationError) {
        self.sweepInterval = sweepInterval
        let clock: any TimeSource = clock ?? configuration.pinnedNow.map { FixedClock($0) } ?? SystemClock()
        self.auth = auth
        self.clock = clock
        self.logger = logger
        desk = try ReviewDeskEnvironment.desk(configuration, logger: logger, clock: clock)
    }

    /// The sweep of items past their flow's limits, once a minute.
    package var services: [any Service] {
        sweepInterval.map { [ReviewSweeper(desk: desk, interval: $0, logger: logger)] } ?? []
    }

    package func register(on router: Hummingbird.Router<BasicRequestContext>) {
        router.get(RouterPath(DashboardLayout.stylesheetPath)) { _, _ in DashboardStylesheet.response() }
        router.get("/") { _, _ in DashboardLayout.redirect(to: "/review") }
        router.get("/signin") { request, _ in try await signInPage(request) }
        router.post("/signin") { request, _ in try await signIn(request) }
        router.post("/signout") { request, _ in try await signOut(request) }
        router.get("/review") { request, _ in try await queuePage(request) }
        router.get("/review/:id") { request, context in
            try await draftPage(request, id: try Self.reviewID(context))
        }
        router.get("/review/:id/preview/:part") { request, context in
            try await preview(request, id: try Self.reviewID(context), part: try context.parameters.require("part"))
        }
        router.post("/review/:id/:decision") { request, context in
            try await decide(
                request, id: try Self.reviewID(context), decision: try context.parameters.require("decision"))
        }
    }

    /// The route's review id; 404 for anything the review folder could not hold (a path, a hidden name).
    static func reviewID(_ context: BasicRequestContext) throws -> String {
        let id = try context.parameters.require("id")
        guard (try? FolderReviewQueue.checked(id)) != nil else {
            throw DashboardRefusal.notFound("'\(id.prefix(80))' is not a review id")
        }
        return id
    }

    // MARK: - Sign-in

    func signInPage(_ request: Request) async throws -> Response {
        let (session, isNew) = await auth.visitorSession(request)
        if session.reviewer != nil { return DashboardLayout.redirect(to: "/review") }
        var response = signInForm(csrfToken: session.csrfToken, problem: nil, status: .ok)
        if isNew { response.setCookie(auth.cookie(session.id)) }
        return response
    }

    func signIn(_ request: Request) async throws -> Response {
        let (session, form) = try await auth.visitorPost(request)
        let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
        let password = form["password"] ?? ""
        guard !name.isEmpty, !password.isEmpty else {
            return signInForm(
                csrfToken: session.csrfToken, problem: "Enter your name and password.", status: .badRequest)
        }
        if auth.settings.credentials.isEmpty {
            return signInForm(
                csrfToken: session.csrfToken,
                problem: "Nobody can sign in yet: no users file is configured (TIDINGS_DASHBOARD_USERS_FILE).",
                status: .unauthorized)
        }
        let result = await auth.signIn(name: name, password: password, previous: session.id)
        // Who tried and how it ended; never the password. The name is typed by anyone: cut short.
        logger.notice(
            "dashboard sign-in",
            metadata: ["dashboard.name": "\(name.prefix(64))", "dashboard.result": "\(result.code)"])
        switch result {
        case .signedIn(let id):
            var response = DashboardLayout.redirect(to: "/review")
            response.setCookie(auth.cookie(id))
            return response
        case .refused:
            return signInForm(
                csrfToken: session.csrfToken, problem: "Wrong name or password.", status: .unauthorized)
        case .busy:
            return signInForm(
                csrfToken: session.csrfToken, problem: "Too many sign-ins at once; try again in a moment.",
                status: .serviceUnavailable)
        case .locked:
            let minutes = Int((auth.settings.lockoutDuration / 60).rounded(.up))
            return signInForm(
                csrfToken: session.csrfToken,
                problem: "Too many wrong passwords for this name: it is locked for up to \(minutes) minutes.",
                status: .tooManyRequests)
        }
    }

    func signOut(_ request: Request) async throws -> Response {
        let (reviewer, _) = try await auth.post(request)
        await auth.end(reviewer.sessionID)
        var response = DashboardLayout.redirect(to: "/signin")
        response.setCookie(auth.expiredCookie())
        return response
    }

    func signInForm(csrfToken: String, problem: String?, status: HTTPResponse.Status) -> Response {
        var content = #"<div class="card signin">"#
        if let problem { content += #"<p class="problem" role="alert">\#(DashboardLayout.escape(problem))</p>"# }
        content += """
            <form class="decision" method="post" action="/signin">\
            <input type="hidden" name="\(DashboardAuth.csrfFieldName)" value="\(csrfToken)">
            <label for="name">Reviewer name</label><input type="text" id="name" name="name" autocomplete="username" required>
            <label for="password">Password</label>\
            <input type="password" id="password" name="password" autocomplete="current-password" required>
            <button type="submit">Sign in</button></form>
            <p class="muted">Reviewers and their roles come from review.reviewers; passwords from the users file.</p></div>
            """
        return DashboardLayout.page(title: "Sign in", section: nil, reviewer: nil, content: content, status: status)
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import TidingsCore

/// The chrome every dashboard page shares (title, navigation, the signed-in reviewer and the
/// sign-out form, a one-time notice) and the headers every dashboard answer carries: the
/// Content-Security-Policy, `Cache-Control: no-store` (pages hold customers' first names).
package enum DashboardLayout {
    /// The navigation's sections.
    package enum Section: String, Sendable, CaseIterable {
        case review, experiments, audit

        var title: String {
            switch self {
            case .review: "Review queue"
            case .experiments: "Experiments"
            case .audit: "Audit"
            }
        }
    }

    /// The policy of every dashboard page: nothing but our stylesheet, our forms and our own
    /// preview frames; no script at all, no framing of the page by anyone.
    package static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; frame-src 'self'; form-action 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'"

    /// The header field of the policy.
    package static let contentSecurityPolicyField = HTTPField.Name("Content-Security-Policy")!

    /// The stylesheet's path (served by the review dashboard part).
    package static let stylesheetPath = "/dashboard.css"

    /// Text safe inside HTML element content and double-quoted attributes.
    package static func escape(_ text: String) -> String {
        OneClickUnsubscribe.escapeHTML(text)
    }

    /// A whole page: `content` (HTML the caller escaped) inside the shared chrome. `reviewer` nil
    /// shows no navigation (the sign-in page, refusals).
    package static func page(
        title: String, section: Section?, reviewer: SignedInReviewer?, notice: String? = nil, content: String,
        status: HTTPResponse.Status = .ok
    ) -> Response {
        var html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">\
            <meta name="robots" content="noindex"><title>\(escape(title)) · Tidings</title>\
            <link rel="stylesheet" href="\(stylesheetPath)"></head>
            <body><header class="top"><span class="brand">Tidings</span>
            """
        if let reviewer {
            html += "<nav>"
            for item in Section.allCases {
                let current = item == section ? #" aria-current="page""# : ""
                html += #"<a href="/\#(item.rawValue)"\#(current)>\#(item.title)</a>"#
            }
            html += "</nav>"
            html += """
                <form class="signout" method="post" action="/signout">\(reviewer.csrfField)\
                <span>Signed in as <strong>\(escape(reviewer.name))</strong></span> <button type="submit">Sign out</button></form>
                """
        }
        html += "</header>\n<main>\n<h1>\(escape(title))</h1>\n"
        if let notice { html += "<p class=\"notice\" role=\"status\">\(escape(notice))</p>\n" }
        html += content
        html += "\n</main></body></html>\n"
        return htmlResponse(html, status: status)
    }

    /// `html` as a dashboard answer: the policy, no caching, UTF-8.
    package static func htmlResponse(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[contentSecurityPolicyField] = contentSecurityPolicy
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A 303 to `location` (after a POST, and to sign-in), carrying the policy too.
    package static func redirect(to location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        headers[contentSecurityPolicyField] = contentSecurityPolicy
        return Response(status: .seeOther, headers: headers)
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import TidingsCore

/// The dashboard's insights pages behind the review dashboard's auth guard: `GET /experiments`
/// (each configured experiment's chart, figures and verdict) and `GET /audit` (one event's or one
/// customer's audit as a timeline). Both only read; any signed-in reviewer may see them
/// (docs/decisions/serve-insights.md).
package struct InsightsDashboard: ServePart {
    /// The auth guard the review dashboard uses: the same sessions.
    package let auth: DashboardAuth
    /// Where the experiments page reads its figures.
    package let experiments: ExperimentsSource
    /// The audit the timeline reads.
    package let auditRoot: URL

    /// The pages over `configuration`'s experiments and audit; `engagementFile` is
    /// `tidings serve --engagement` (or `TIDINGS_ENGAGEMENT_FILE`), nil when none was given.
    package init(configuration: Configuration, auth: DashboardAuth, engagementFile: String?) {
        self.auth = auth
        experiments = ExperimentsSource(configuration: configuration, engagementFile: engagementFile)
        auditRoot = configuration.dataDirectory.appendingPathComponent("audit")
    }

    package func register(on router: Hummingbird.Router<BasicRequestContext>) {
        router.get("/experiments") { request, _ in try await experimentsPage(request) }
        router.get("/audit") { request, _ in try await auditPage(request) }
    }

    func experimentsPage(_ request: Request) async throws -> Response {
        let reviewer = try await auth.reviewer(request)
        let query = try Self.query(request)
        let metric: ExperimentReport.Metric
        if let value = query["metric"], !value.isEmpty {
            guard let chosen = ExperimentReport.Metric(rawValue: value) else {
                throw DashboardRefusal.badRequest(
                    "metric: '\(value.prefix(40))' is not one of "
                        + ExperimentReport.Metric.allCases.map(\.rawValue).joined(separator: ", "))
            }
            metric = chosen
        } else {
            metric = .conversion
        }
        let source = experiments
        let content = await Self.offThread { source.load(metric: metric) }
        return DashboardLayout.page(
            title: ExperimentsPage.title, section: .experiments, reviewer: reviewer,
            notice: await auth.notice(for: reviewer), content: ExperimentsPage.html(content, metric: metric))
    }

    func auditPage(_ request: Request) async throws -> Response {
        let reviewer = try await auth.reviewer(request)
        let query = try Self.query(request)
        let subject: AuditTrail.Subject?
        do {
            subject = try AuditTimelinePage.subject(event: query["event"], customer: query["customer"])
        } catch {
            throw DashboardRefusal.badRequest("\(error)")
        }
        let root = auditRoot
        let content = await Self.offThread { AuditTimelinePage.load(root: root, subject: subject) }
        return DashboardLayout.page(
            title: AuditTimelinePage.title, section: .audit, reviewer: reviewer,
            notice: await auth.notice(for: reviewer), content: AuditTimelinePage.html(content, subject: subject))
    }

    /// The query string's fields, decoded as a form's (`+` is a space). Throws a 400 when it
    /// does not decode.
    static func query(_ request: Request) throws -> [String: String] {
        guard let raw = request.uri.query, !raw.isEmpty else { return [:] }
        guard let fields = PercentEncoding.formFields(Substring(raw)) else {
            throw DashboardRefusal.badRequest("the query string is not percent-encoded UTF-8")
        }
        return fields
    }

    /// Runs `work` (reading the audit: every day's files) on a thread of its own, so a large
    /// audit does not hold one of the few cooperative threads that answer every request.
    static func offThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: work()) }.start()
        }
    }
}

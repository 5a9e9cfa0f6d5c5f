import Foundation
import Hummingbird
import TidingsCore

/// The forms: approve, reject with a reason, edit. Each is a POST carrying the session's CSRF
/// token, decided by the signed-in reviewer through the desk (which checks the role), and
/// answered with a redirect to the next page (post/redirect/get) or the desk's refusal.
extension ReviewDashboard {
    func decide(_ request: Request, id: String, decision: String) async throws -> Response {
        let (reviewer, form) = try await auth.post(request)
        let report: ReviewDesk.Report
        do {
            // An item past its flow's limits expires now rather than being decided.
            _ = try await desk.sweep()
            switch decision {
            case "approve":
                report = try await desk.approve(id, reviewer: reviewer.name)
            case "reject":
                let reason = (form["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                guard !reason.isEmpty else {
                    throw ReviewDeskError(.badEdit, "a rejection needs a reason: say why in the Reason field")
                }
                report = try await desk.reject(id, reviewer: reviewer.name, reason: reason)
            case "edit":
                let current = try desk.show(id)
                report = try await desk.edit(id, reviewer: reviewer.name, changes: try Self.edit(form, current.draft))
            default:
                throw DashboardRefusal.notFound("no such decision: \(decision)")
            }
        } catch let error as ReviewDeskError {
            return deskProblem(error, reviewer: reviewer, title: "Not done", section: .review)
        }
        var notice = "\(report.action.capitalized) \(report.reviewID): the event is now \(report.outcome.rawValue)."
        if let reference = report.reference { notice += " Email: \(reference)." }
        if let problem = report.auditProblem {
            notice += " WARNING: the email went out but its audit failed: \(problem)"
        }
        await auth.setNotice(notice, for: reviewer)
        return DashboardLayout.redirect(to: decision == "edit" ? "/review/\(Self.pathSegment(id))" : "/review")
    }

    /// The edit form as a `DraftEdit`: `subjects` (one per line, blank lines dropped),
    /// `preheader`, and `block.N` for each of the draft's blocks (kind and product stay).
    static func edit(_ form: [String: String], _ draft: Draft) throws(ReviewDeskError) -> DraftEdit {
        var edit = DraftEdit()
        if let text = form["subjects"] {
            let subjects = text.split(whereSeparator: \.isNewline).map {
                $0.trimmingCharacters(in: .whitespaces)
            }.filter { !$0.isEmpty }
            guard !subjects.isEmpty else { throw ReviewDeskError(.badEdit, "subjects: give at least one subject line") }
            edit.subjects = subjects
        }
        if let preheader = form["preheader"] {
            edit.preheader = preheader.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var blocks = draft.blocks
        for index in blocks.indices {
            guard let text = form["block.\(index)"] else { continue }
            blocks[index].text = text.replacingOccurrences(of: "\r\n", with: "\n")
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if blocks != draft.blocks { edit.blocks = blocks }
        return edit
    }
}

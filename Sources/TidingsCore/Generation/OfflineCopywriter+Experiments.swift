import Foundation

/// The offline copywriter's version of an experiment arm's strategy: a subject that leads with
/// it, placed first among the options, and an opening line after the greeting. Without them the
/// arms of an experiment run on the embedded writer would differ only in their subject rule.
/// Urgency stays honest (a real offer's expiry, the plain fact that a cart holds no stock), so
/// the copy passes the same banned-phrase rules as any other.
extension OfflineCopywriter {
    func following(_ strategy: ExperimentStrategy, draft: Draft, context: PromptContext) -> Draft {
        var draft = draft
        let lead = context.items.first?.title ?? context.winBack?.pastPurchases.first
        let titles = context.items.isEmpty ? (context.winBack?.pastPurchases ?? []) : context.items.map(\.title)
        let expiry = context.offer.map { Self.readableDay($0.expiresAt) }
        let subject: String?
        let line: String
        switch strategy {
        case .urgency:
            subject = Self.fitting(context.subjectMaxLength, title: lead) { title in
                if let offer = context.offer, let expiry { return "Your code \(offer.code) ends \(expiry)" }
                return title.map { "Your \($0) is not reserved" } ?? "Now is a good time to come back"
            }
            let reminder = context.offer.map { "The code \($0.code) is good until \(expiry ?? $0.expiresAt). " } ?? ""
            line =
                titles.isEmpty
                ? reminder + "If something caught your eye, now is a good moment: we do not hold stock for anyone."
                : reminder + "A cart does not hold stock for anyone, so if you still want \(Self.list(titles)), "
                    + "now is a good moment to finish."
        case .benefit:
            subject = Self.fitting(context.subjectMaxLength, title: lead) { title in
                title.map { "What the \($0) does for you" } ?? "Picked for the way you shop"
            }
            let category = context.items.first?.category ?? context.customer.topCategories.first
            line =
                lead.map { lead in
                    "Why it is worth it: the \(lead) is made for regular use"
                        + (category.map { " in \($0.lowercased())" } ?? "")
                        + ", and it fits with what you already own."
                } ?? "Every pick below is chosen for how you shop with us, made for regular use."
        }
        if let subject {
            draft.subjects = Array(([subject] + draft.subjects.filter { $0 != subject }).prefix(5))
        }
        let position = draft.blocks.first?.kind == .greeting ? 1 : 0
        draft.blocks.insert(DraftBlock(kind: .paragraph, text: line), at: position)
        return draft
    }

    /// The subject `make` writes that fits `limit`: with the item's title shortened step by step
    /// until it fits; nil when even the shortest does not.
    static func fitting(_ limit: Int, title: String?, _ make: (String?) -> String) -> String? {
        guard let title else {
            let plain = make(nil)
            return plain.count <= limit ? plain : nil
        }
        for titleLimit in [40, 30, 22, 16] {
            let subject = make(shortTitle(title, limit: titleLimit))
            if subject.count <= limit { return subject }
        }
        return nil
    }
}

/// What the writers share about endpoints and prompts.
package enum ModelEndpoint {
    /// `url` without trailing slashes.
    package static func trimmed(_ url: String) -> String {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// The cache key for a prompt: the same for every event of one template version
    /// ("tidings:cart_abandoned@3"), so requests that share the system text land on one cache.
    package static func cacheKey(_ prompt: Prompt) -> String { "tidings:" + prompt.reference }

    /// The structured-output name: `[A-Za-z0-9_-]`, at most 64 characters ("cart_abandoned_draft").
    package static func schemaName(_ prompt: Prompt) -> String {
        let allowed = prompt.templateID.map {
            $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") ? $0 : "_"
        }
        return String((String(allowed) + "_draft").prefix(64))
    }

    /// The user turn of a repair: the validator's findings, one a line, and what to do.
    package static func repairText(_ repair: DraftRequest.Repair) -> String {
        var lines = ["Your draft above cannot be sent. The checks found:"]
        for problem in repair.problems { lines.append("- " + problem) }
        lines.append("")
        lines.append(
            "Write the whole draft again as JSON matching the schema, fixing every problem listed and keeping to the "
                + "rules and the context given before.")
        return lines.joined(separator: "\n")
    }
}

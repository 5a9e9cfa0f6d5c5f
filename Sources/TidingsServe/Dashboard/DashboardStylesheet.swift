import HTTPTypes
import Hummingbird

/// The dashboard's one stylesheet: plain, readable, no web fonts, no images.
enum DashboardStylesheet {
    static let css = """
        :root { --ink: #1d2330; --muted: #5b6475; --line: #d9dee7; --paper: #ffffff; --wash: #f4f6f9;
          --accent: #2452c7; --ok: #1d7a46; --warn: #9a5b00; --bad: #b3261e; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
          background: var(--wash); }
        header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 1.5rem; padding: .6rem 1.5rem;
          background: var(--ink); color: #fff; }
        header.top .brand { font-weight: 700; letter-spacing: .02em; }
        header.top nav { display: flex; gap: 1rem; flex: 1; }
        header.top nav a { color: #dfe6f5; text-decoration: none; padding: .2rem 0; }
        header.top nav a[aria-current="page"] { color: #fff; border-bottom: 2px solid #fff; }
        header.top form.signout { display: flex; align-items: center; gap: .6rem; margin: 0; }
        main { max-width: 72rem; margin: 0 auto; padding: 1.2rem 1.5rem 3rem; }
        h1 { font-size: 1.5rem; margin: .4rem 0 1rem; }
        h2 { font-size: 1.1rem; margin: 1.6rem 0 .6rem; }
        a { color: var(--accent); }
        table { width: 100%; border-collapse: collapse; background: var(--paper); border: 1px solid var(--line); }
        th, td { text-align: left; padding: .5rem .7rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        td.nowrap { white-space: nowrap; }
        th { background: var(--wash); font-weight: 600; font-size: .85rem; color: var(--muted); }
        .card > h2:first-child { margin-top: 0; }
        .card { background: var(--paper); border: 1px solid var(--line); border-radius: 6px; padding: 1rem 1.2rem;
          margin-bottom: 1rem; }
        .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1rem; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: 0; }
        dl.facts dt { color: var(--muted); }
        dl.facts dd { margin: 0; }
        .notice { background: #e6f4ec; border: 1px solid #b5dcc4; color: var(--ok); padding: .6rem .9rem;
          border-radius: 6px; }
        .problem { background: #fbeaea; border: 1px solid #efc2bf; color: var(--bad); padding: .6rem .9rem;
          border-radius: 6px; }
        .tag { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .8rem; background: var(--wash);
          border: 1px solid var(--line); }
        .tag.escalated, .tag.error { background: #fbeaea; border-color: #efc2bf; color: var(--bad); }
        .tag.warning { background: #fff4e0; border-color: #f0d29a; color: var(--warn); }
        .score { font-size: 1.6rem; font-weight: 700; }
        .inbox { border: 1px solid var(--line); border-radius: 6px; padding: .6rem .9rem; background: var(--paper);
          margin-bottom: .6rem; }
        .inbox .from { font-weight: 600; }
        .inbox .preheader { color: var(--muted); }
        iframe.preview { width: 100%; height: 36rem; border: 1px solid var(--line); border-radius: 6px;
          background: #fff; }
        iframe.preview.text { height: 20rem; }
        form.decision { display: grid; gap: .5rem; margin: 0; }
        label { font-weight: 600; font-size: .9rem; }
        input[type="text"], input[type="password"], textarea { width: 100%; font: inherit; padding: .45rem .55rem;
          border: 1px solid #b9c1cf; border-radius: 4px; background: #fff; }
        textarea { min-height: 5rem; }
        button { font: inherit; padding: .45rem 1rem; border-radius: 4px; border: 1px solid var(--accent);
          background: var(--accent); color: #fff; cursor: pointer; }
        button.secondary { background: #fff; color: var(--accent); }
        button.danger { background: var(--bad); border-color: var(--bad); }
        header.top button { background: transparent; border-color: #8e9ab3; color: #fff; padding: .2rem .7rem; }
        .signin { max-width: 24rem; margin: 3rem auto; }
        .muted { color: var(--muted); }
        ul.plain { margin: 0; padding-left: 1.1rem; }
        """

    /// The stylesheet's answer: CSS, cacheable for an hour (it holds nothing personal).
    static func response() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/css; charset=utf-8"
        headers[.cacheControl] = "public, max-age=3600"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: css)))
    }
}

/// The Mustache sources of the email bodies. They are Swift constants rather than resource files so a
/// function binary carries them with no bundle lookup at cold start; `EmailRenderer` parses them once.
///
/// Both templates read the same context, built by `EmailRenderer`:
/// `subject`, `preheader`, `brandName`, `storefrontURL`, `body` and `closing` (arrays of blocks),
/// `ctaLabel`, `ctaURL`, `postalAddress`, `unsubscribeURL`. A block has `text`, `lines`, `isOffer`,
/// `isProduct`, `hasNote`, `hasPrice`, `productTitle`, `productPrice` and `productURL`; every block carries every
/// key, so a Mustache lookup never falls through to the outer context by accident.
///
/// Rules for editing: draft and product text only ever goes through `{{ }}` (never `{{{ }}}`), and
/// every URL placed in an `href` has been checked as http(s) by the renderer before it gets here.
enum EmailTemplates {
    /// The HTML part: table layout for the widest client support, inline styles, a single 600px column
    /// that shrinks on narrow screens, a hidden preheader, and a footer with address and unsubscribe link.
    static let html = #"""
        <!DOCTYPE html>
        <html xmlns="http://www.w3.org/1999/xhtml">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Type" content="text/html; charset=utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="x-apple-disable-message-reformatting">
        <meta name="color-scheme" content="light">
        <meta name="supported-color-schemes" content="light">
        <title>{{subject}}</title>
        <style>
        body { margin: 0; padding: 0; }
        table { border-collapse: collapse; }
        a { color: #2f5d46; }
        @media only screen and (max-width: 620px) {
          .container { width: 100% !important; }
          .pad { padding-left: 20px !important; padding-right: 20px !important; }
        }
        </style>
        </head>
        <body style="margin:0;padding:0;background-color:#f4f4f1;">
        <div style="display:none;font-size:1px;line-height:1px;max-height:0;max-width:0;opacity:0;overflow:hidden;mso-hide:all;color:#f4f4f1;">{{preheader}}&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;</div>
        <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f4f4f1;">
        <tr>
        <td align="center" style="padding:24px 8px;">
        <table role="presentation" class="container" width="600" cellpadding="0" cellspacing="0" border="0" style="width:600px;max-width:600px;background-color:#ffffff;border-radius:8px;">
        <tr>
        <td class="pad" style="padding:28px 40px 12px 40px;font-family:Helvetica,Arial,sans-serif;font-size:20px;font-weight:bold;color:#2f5d46;">
        <a href="{{storefrontURL}}" style="color:#2f5d46;text-decoration:none;">{{brandName}}</a>
        </td>
        </tr>
        {{#body}}
        {{>block}}
        {{/body}}
        <tr>
        <td class="pad" align="left" style="padding:12px 40px 20px 40px;">
        <table role="presentation" cellpadding="0" cellspacing="0" border="0">
        <tr>
        <td align="center" bgcolor="#2f5d46" style="border-radius:6px;">
        <a href="{{ctaURL}}" style="display:inline-block;padding:14px 28px;font-family:Helvetica,Arial,sans-serif;font-size:16px;font-weight:bold;color:#ffffff;text-decoration:none;border-radius:6px;">{{ctaLabel}}</a>
        </td>
        </tr>
        </table>
        </td>
        </tr>
        {{#closing}}
        {{>block}}
        {{/closing}}
        <tr>
        <td class="pad" style="padding:24px 40px 28px 40px;border-top:1px solid #e6e6e1;font-family:Helvetica,Arial,sans-serif;font-size:12px;line-height:18px;color:#6b6b66;">
        <p style="margin:0 0 8px 0;">{{postalAddress}}</p>
        <p style="margin:0;"><a href="{{unsubscribeURL}}" style="color:#6b6b66;text-decoration:underline;">Unsubscribe</a></p>
        </td>
        </tr>
        </table>
        </td>
        </tr>
        </table>
        </body>
        </html>

        """#

    /// One body block of the HTML part (a partial of `html`): a paragraph, a highlighted offer, or a
    /// product card with its title linking to the product page, the price and the draft's note.
    static let htmlBlock = #"""
        <tr>
        {{#isProduct}}
        <td class="pad" style="padding:8px 40px;">
        <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border:1px solid #e6e6e1;border-radius:8px;">
        <tr>
        <td style="padding:16px 20px;font-family:Helvetica,Arial,sans-serif;color:#26261f;">
        <a href="{{productURL}}" style="font-size:17px;font-weight:bold;line-height:24px;color:#26261f;text-decoration:none;">{{productTitle}}</a>
        {{#hasPrice}}
        <p style="margin:4px 0 0 0;font-size:16px;line-height:22px;color:#2f5d46;font-weight:bold;">{{productPrice}}</p>
        {{/hasPrice}}
        {{#hasNote}}
        <p style="margin:8px 0 0 0;font-size:15px;line-height:22px;color:#4a4a44;">{{#lines}}{{^first()}}<br>{{/first()}}{{.}}{{/lines}}</p>
        {{/hasNote}}
        </td>
        </tr>
        </table>
        </td>
        {{/isProduct}}
        {{^isProduct}}
        <td class="pad" style="padding:8px 40px;font-family:Helvetica,Arial,sans-serif;font-size:16px;line-height:24px;color:#26261f;">
        {{#isOffer}}
        <p style="margin:0;padding:14px 18px;background-color:#eef4ef;border-radius:6px;font-weight:bold;">{{#lines}}{{^first()}}<br>{{/first()}}{{.}}{{/lines}}</p>
        {{/isOffer}}
        {{^isOffer}}
        <p style="margin:0;">{{#lines}}{{^first()}}<br>{{/first()}}{{.}}{{/lines}}</p>
        {{/isOffer}}
        </td>
        {{/isProduct}}
        </tr>

        """#

    /// The text/plain part. The pragma switches escaping off: this part is not HTML, and escaping would
    /// show "&amp;" to the reader. URLs are written out in full, each on its own line where it can be.
    static let text = #"""
        {{%CONTENT_TYPE:TEXT}}
        {{brandName}}
        {{#body}}

        {{#isProduct}}
        {{productTitle}}{{#hasPrice}} - {{productPrice}}{{/hasPrice}}
        {{productURL}}
        {{#hasNote}}
        {{text}}
        {{/hasNote}}
        {{/isProduct}}
        {{^isProduct}}
        {{text}}
        {{/isProduct}}
        {{/body}}

        {{ctaLabel}}:
        {{ctaURL}}
        {{#closing}}

        {{text}}
        {{/closing}}

        -- {{! the signature separator is "-- " with its space }}
        {{postalAddress}}
        Unsubscribe: {{unsubscribeURL}}

        """#
}

/// ISO 4217 currency codes, for checking a currency at decode.
///
/// Provenance: ISO 4217 "List One: Currency, fund and precious metal codes" as published by SIX
/// Group (the maintenance agency) at https://www.six-group.com/en/products-services/financial-information/data-standards.html,
/// amendments up to No. 179 (2025), copied by hand because no machine-readable copy ships with the
/// repository or the shared data. Active codes only: withdrawn codes (List Three, such as HRK,
/// SLL after 2024) are left out except those still legal tender during a transition (ANG until
/// XCG replaces it, VED beside VES). Funds and metals (XAU, XDR, ...) are in the list, since they
/// are valid codes, though no shop prices in them. Update this list when an amendment adds a code.
package enum ISO4217 {
    /// Every accepted code, upper-case, three letters.
    package static let codes: Set<String> = [
        "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN",
        "BAM", "BBD", "BDT", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
        "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUP", "CVE", "CZK",
        "DJF", "DKK", "DOP", "DZD",
        "EGP", "ERN", "ETB", "EUR",
        "FJD", "FKP",
        "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD",
        "HKD", "HNL", "HTG", "HUF",
        "IDR", "ILS", "INR", "IQD", "IRR", "ISK",
        "JMD", "JOD", "JPY",
        "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT",
        "LAK", "LBP", "LKR", "LRD", "LSL", "LYD",
        "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN",
        "NAD", "NGN", "NIO", "NOK", "NPR", "NZD",
        "OMR",
        "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG",
        "QAR",
        "RON", "RSD", "RUB", "RWF",
        "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL",
        "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS",
        "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS",
        "VED", "VES", "VND", "VUV",
        "WST",
        "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR", "XOF", "XPD", "XPF", "XPT", "XSU",
        "XTS", "XUA", "XXX",
        "YER",
        "ZAR", "ZMW", "ZWG",
    ]

    /// Whether `code` is an ISO 4217 code exactly as the standard writes it (three upper-case
    /// letters on the list): "usd", "US$" and "XXX1" are not.
    package static func isCode(_ code: String) -> Bool { codes.contains(code) }
}

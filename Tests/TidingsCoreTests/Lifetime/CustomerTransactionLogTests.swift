import Foundation
import Testing

@testable import TidingsCore

@Suite struct CustomerTransactionLogTests {
    /// The first 200 transactions of CDNOW_master.txt (Tests/Fixtures/PROVENANCE.md).
    static let slice = TestPaths.data.appendingPathComponent("cdnow/CDNOW_master-first200.txt")

    @Test func theCDNOWLogIsToldApartFromASummaryCSV() throws {
        let text = try String(contentsOf: Self.slice, encoding: .utf8)
        #expect(CustomerTransactionLog.looksLikeLog(text))
        #expect(!CustomerTransactionLog.looksLikeLog("ID,frequency,recency,T\n1,2,30.43,38.86\n"))
    }

    /// Worked by hand from the file: customer 00002 bought twice on 1997-01-12 (one occasion);
    /// customer 00003 on 1997-01-02, 03-30, 04-02, 11-15, 11-25 and 1998-05-28.
    @Test func summariesCountPurchaseDaysInWeeks() throws {
        let text = try String(contentsOf: Self.slice, encoding: .utf8)
        let observedUntil = try #require(Timestamp.parse("1998-06-30T00:00:00Z"))
        let summaries = try CustomerTransactionLog.summaries(text, observedUntil: observedUntil)
        #expect(summaries.count == 48)
        let two = try #require(summaries.first { $0.id == "00002" })
        #expect(two.frequency == 0 && two.recency == 0 && two.monetary == nil)
        #expect(abs(two.age - 534.0 / 7) < 1e-9)
        let three = try #require(summaries.first { $0.id == "00003" })
        #expect(three.frequency == 5)
        #expect(abs(three.recency - 511.0 / 7) < 1e-9)
        #expect(abs(three.age - 544.0 / 7) < 1e-9)
        #expect(abs((three.monetary ?? 0) - (20.76 + 19.54 + 57.45 + 20.96 + 16.99) / 5) < 1e-9)
        // Observed until its last day by default; nothing is after it.
        let byDefault = try CustomerTransactionLog.summaries(text)
        #expect(byDefault.allSatisfy { $0.problem == nil })
    }

    @Test func aBadFieldNamesItsLineAndColumn() {
        #expect(
            throws: CustomerSummaryCSV.ParseError(line: 2, column: "date", reason: "'19970231' is not a date yyyymmdd")
        ) {
            try CustomerTransactionLog.summaries(" 1 19970101 1 1.00\n 2 19970231 1 2.00\n")
        }
        #expect(throws: CustomerSummaryCSV.ParseError(line: 1, column: "amount", reason: "'x' is not an amount")) {
            try CustomerTransactionLog.summaries(" 1 19970101 1 x\n")
        }
    }
}

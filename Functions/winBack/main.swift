import Foundation
import TidingsRuntime

// The win-back handler: the Lambda Runtime API loop (the deployed schedule's scans), or one event
// from stdin (a scan or a lapsed customer).
let status = await FunctionMain.run(.winBack)
exit(status.rawValue)

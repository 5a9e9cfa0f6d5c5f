import Foundation
import TidingsRuntime

// The win-back handler: a lapsed customer or a scheduled scan of the customer base, from stdin.
let status = await StdinRunner.run(.winBack)
exit(status.rawValue)

import Foundation
import TidingsRuntime

// The cancelled-order handler: one cancellation event from stdin (or, later, the Lambda Runtime API loop).
let status = await StdinRunner.run(.orderCancelled)
exit(status.rawValue)

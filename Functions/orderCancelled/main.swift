import Foundation
import TidingsRuntime

// The cancelled-order handler: the Lambda Runtime API loop, or one cancellation event from stdin.
let status = await FunctionMain.run(.orderCancelled)
exit(status.rawValue)

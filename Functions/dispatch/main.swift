import Foundation
import TidingsRuntime

// The scheduled dispatcher: the Lambda Runtime API loop (EventBridge Scheduler, every minute), or
// one run over the outbox, its summary on stdout.
let status = await FunctionMain.runDispatch()
exit(status.rawValue)

import Foundation
import TidingsRuntime

// The one-click unsubscribe endpoint (RFC 8058): the Lambda Runtime API loop, or one request from stdin.
let status = await FunctionMain.runUnsubscribe()
exit(status.rawValue)

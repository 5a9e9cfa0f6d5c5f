import Foundation
import TidingsRuntime

// The abandoned-cart handler: the Lambda Runtime API loop, or one event from stdin.
let status = await FunctionMain.run(.cartAbandoned)
exit(status.rawValue)

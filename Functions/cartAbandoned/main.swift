import Foundation
import TidingsRuntime

// The abandoned-cart handler: one event from stdin (or, later, the Lambda Runtime API loop).
let status = await StdinRunner.run(.cartAbandoned)
exit(status.rawValue)

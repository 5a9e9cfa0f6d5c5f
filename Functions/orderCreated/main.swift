import Foundation
import TidingsRuntime

// The post-purchase series handler: one order event from stdin (or, later, the Lambda Runtime API loop).
let status = await StdinRunner.run(.orderCreated)
exit(status.rawValue)

import Foundation
import TidingsRuntime

// The post-purchase series handler: the Lambda Runtime API loop, or one order event from stdin.
let status = await FunctionMain.run(.orderCreated)
exit(status.rawValue)
